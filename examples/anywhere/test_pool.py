"""SIGTERM, through the running loop, at every line of a request's handler:
every connection goes back to the pool."""

import signal

import pytest
from pool import Pool, buggy_handle, handle, serve

from pytest_signals import SignalAnywhereFailure


async def check_serve(signal_anywhere, handler):
    for run in signal_anywhere(signal.SIGTERM, within=handler):
        with run:
            pool = Pool()
            await serve(handler, pool)
            assert pool.free == pool.size, f"{pool.size - pool.free} connection(s) never given back"


@pytest.mark.asyncio
@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
async def test_buggy_server(signal_anywhere):
    await check_serve(signal_anywhere, buggy_handle)


@pytest.mark.asyncio
async def test_server(signal_anywhere):
    await check_serve(signal_anywhere, handle)
