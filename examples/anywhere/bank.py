"""A transfer between two accounts, and Ctrl-C.

BuggyBank.transfer debits one account, then credits the other: a
KeyboardInterrupt between the two loses the money.

Bank.transfer computes both new balances first and commits them in one
statement, a single assignment of a new dict: before it, nothing changed;
after it, everything did.
"""

from __future__ import annotations


class BuggyBank:
    def __init__(self, **balances: int) -> None:
        self.balances = dict(balances)

    def total(self) -> int:
        return sum(self.balances.values())

    def transfer(self, source: str, target: str, amount: int) -> None:
        self.balances[source] -= amount
        self.balances[target] += amount  # <- unsafe: a KeyboardInterrupt here loses the debit


class Bank:
    def __init__(self, **balances: int) -> None:
        self.balances = dict(balances)

    def total(self) -> int:
        return sum(self.balances.values())

    def transfer(self, source: str, target: str, amount: int) -> None:
        new = dict(self.balances)
        new[source] -= amount
        new[target] += amount
        self.balances = new  # the commit: one store
