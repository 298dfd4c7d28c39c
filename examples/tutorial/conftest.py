# test_mistakes.py fails on purpose, as the tutorial says; `pytest examples`
# leaves it out and tests/test_first_contact.py checks how it fails.
collect_ignore = ["test_mistakes.py"]
