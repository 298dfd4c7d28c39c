"""An entrypoint that relies on SIGTERM's default action to stop it. Outside a
container that works; as a container's pid 1 the kernel drops the SIGTERM
(pid 1 gets only the signals it handles), and ``docker stop`` ends it with
SIGKILL when the grace period is over: no cleanup, exit status 137."""

import signal

print("serving", flush=True)
while True:
    signal.pause()
