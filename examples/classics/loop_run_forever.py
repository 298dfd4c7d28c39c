"""A loop that runs forever until SIGINT or SIGTERM: both handlers call
loop.stop(), and the program then closes the loop and exits 0."""

import asyncio
import signal


def stop(loop, sig):
    print(f"got {sig.name}: stopping the loop", flush=True)
    loop.stop()


def main():
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, loop, sig)
    print("running forever; Ctrl-C or SIGTERM to stop", flush=True)
    try:
        loop.run_forever()
    finally:
        loop.close()
    print("loop closed", flush=True)


if __name__ == "__main__":
    main()
