"""Python grandchildren started by exec: carrying the instrumentation across exec.

Installed in an instrumented child (and, in turn, in every process it carries
the instrumentation into) when ``spawn(..., descendants=True)``, the default.
At each point where the process replaces itself or starts a new program, and
only when that program is this same Python interpreter, the new process's
environment gets what the child's got from ``spawn``: the bootstrap folder in
front of PYTHONPATH and the channel's variables. Its bootstrap takes them off
again before any of the program runs, as the child's does, so the program sees
its own environment, import path, modules and fds.

The exec points, all of them looked up at call time by their callers:

* ``os.execv`` and ``os.execve`` (every ``os.exec*`` goes through one of them);
* ``os.posix_spawn`` and ``os.posix_spawnp`` (``subprocess`` with
  ``close_fds=False``, and on 3.13 with ``close_fds=True`` too, through
  ``POSIX_SPAWN_CLOSEFROM``: that action becomes one ``POSIX_SPAWN_CLOSE``
  per inheritable fd, ours left out, see ``_keeping``);
* ``_posixsubprocess.fork_exec``: ``subprocess.Popen`` and multiprocessing's
  ``spawnv_passfds`` (the spawn and forkserver start methods, and the resource
  tracker). Its signature differs across versions; the first six arguments
  (args, executables, close_fds, fds_to_keep, cwd, env) are the same on
  3.10-3.13, and anything else is passed through untouched. It is patched as
  the module is imported, by the child's import hook (``subprocess`` takes
  ``fork_exec`` with ``from ... import`` on 3.11+), so that a program that
  never starts a process never imports it.

The channel. The new process writes into the child's own channel pipe: it
gets the child's channel fd, kept across exec for that one call
(``fds_to_keep`` for fork_exec, which makes it inheritable in the new process
only; an inheritable duplicate for exec and posix_spawn, which exec replaces
and posix_spawn closes after), and its number in the environment. Its
bootstrap moves it high and close-on-exec, as the child's. So every process of
the tree reports on one pipe, in one order, read by the one reader there is.
The rejected alternatives: a named FIFO or an AF_UNIX socket per spawn (a path
the test side must create, guard and clean up, and a second reader; nothing
more transparent, since the grandchild would hold it open just the same), and
``pass_fds`` chosen by the program (it is theirs; close_fds would drop ours).

Left alone, never touched: any other executable (a shell, a different Python:
it may not have pytest-signals to import, and a failing sitecustomize prints
an error the program would not print), and a Python started with ``-I``,
``-E`` or ``-S`` (it would ignore PYTHONPATH or skip site, so the bootstrap
would never run and our fd and variables would stay; better uninstrumented
than seen).

Without an explicit environment, a new program inherits the C library's
``environ``, which C code (GNU readline's LINES and COLUMNS) may have changed
behind ``os.environ``: the new process's environment is read from there
(``_c_environ``), as the kernel would have passed it.

Errors are the original calls' own: a call shape the hook does not know goes
to the original untouched, and the wrappers take their frames out of the
traceback of whatever the call raises.

Threads: while an exec or posix_spawn call holds the inheritable duplicate, a
process another thread of the program starts with ``close_fds=False`` inherits
it too (it is closed there on exec if that process is an instrumented Python;
otherwise it stays open in it). fork_exec has no such window.
"""

import os
import sys

if False:  # for type checkers only; typing is not imported in the child
    from collections.abc import Callable
    from typing import Any

from . import channel as _channel

_boot = ""  # the bootstrap folder
_channel_fd: "Callable[[], int]" = lambda: -1  # noqa: E731 - the child's channel fd now, or -1


def install(boot: str, channel_fd: "Callable[[], int]") -> "dict[str, Callable[[Any], None]]":
    """Wrap the exec points of this process. *channel_fd* returns the
    channel's fd (or -1 once the program closed it). Returns the patches to
    apply to modules not imported yet, by name, for the child's import hook
    (one finder on ``sys.meta_path``, the child's, not two)."""
    global _boot, _channel_fd
    _boot, _channel_fd = boot, channel_fd
    _wrap(os, "execv", _execv)
    _wrap(os, "execve", _execve)
    for name in ("posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            _wrap(os, name, _posix_spawner(name.endswith("p")))
    module = sys.modules.get("_posixsubprocess")
    if module is None and "_posixsubprocess" in sys.builtin_module_names:
        # Built into the interpreter (not in the usual builds): its loader is
        # a class the import hook must not patch. Import it now.
        module = __import__("_posixsubprocess")
    if module is not None:
        _patch_posixsubprocess(module)
        return {}
    return {"_posixsubprocess": _patch_posixsubprocess}


def _wrap(owner: "Any", name: str, make: "Any") -> None:
    """Replace ``owner.name`` by ``make(original)``, looking like the original."""
    original = getattr(owner, name)
    wrapper = make(original)
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:  # noqa: SIM105 - contextlib would be one more module in the child
            setattr(wrapper, attribute, getattr(original, attribute))
        except (AttributeError, TypeError):
            pass
    wrapper.__wrapped__ = original
    setattr(owner, name, wrapper)


# -- is it us? ------------------------------------------------------------------------


def _same_interpreter(path: "Any") -> bool:
    """*path* runs this interpreter with this installation: ``sys.executable``
    itself, or a name beside it (a venv's python, python3, python3.N) for the
    same file. The base interpreter behind a venv is not: it has not the venv's
    site-packages, where pytest-signals is."""
    try:
        path = os.fsdecode(path)
    except (TypeError, ValueError):
        return False
    here = sys.executable
    if not here or not path:
        return False
    if os.sep not in path:
        return False  # a bare name is looked up by the caller's own PATH search, which hands us full paths
    full, own = os.path.abspath(path), os.path.abspath(here)
    if full == own:
        return True
    if os.path.dirname(full) != os.path.dirname(own):
        return False
    try:
        return os.path.samefile(full, own)
    except OSError:
        return False


_TAKES_VALUE = "WX"
_IGNORES_US = "IES"  # -I (isolated), -E (no PYTHON* variables), -S (no site)


# This package's folder: a script in it is a pytest-signals of the program's
# own (a spawned pytest's fork-server template, keeper, pid-1 launcher), the
# plugin's machinery and never the program's behaviour: it is left alone.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _wants_us(argv: "Any") -> bool:
    """Whether a Python started with *argv* would run our bootstrap: not with
    -I, -E or -S among its options (before -c, -m or the script), and not
    one of pytest-signals' own scripts."""
    try:
        args = [os.fsdecode(a) for a in list(argv)[1:]]
    except (TypeError, ValueError):
        return False
    at = 0
    while at < len(args):
        arg = args[at]
        at += 1
        if arg == "--" or not arg.startswith("-") or arg == "-":
            script = args[at] if arg == "--" and at < len(args) else arg
            return not os.path.abspath(script).startswith(_PACKAGE)
        if arg.startswith("--"):
            if arg == "--check-hash-based-pycs":
                at += 1
            continue
        letters = arg[1:]
        for i, letter in enumerate(letters):
            if letter in _IGNORES_US:
                return False
            if letter in "cm":
                return True
            if letter in _TAKES_VALUE:
                if i == len(letters) - 1:
                    at += 1
                break
    return True


# -- the new process's environment --------------------------------------------------


def _our_variables(env: "dict[str, str]", fd: int, parent: int) -> "dict[str, str]":
    """*env* with the instrumentation's variables, as ``spawn`` sets a child's:
    the new process's channel is *fd*, its parent *parent*."""
    env = dict(env)
    original = env.get("PYTHONPATH")
    if original is not None:
        env[_channel.ENV_PYTHONPATH] = original
    env["PYTHONPATH"] = _boot + ("" if not original else os.pathsep + original)
    env[_channel.ENV_BOOT] = _boot
    env[_channel.ENV_CHANNEL] = str(fd)
    env[_channel.ENV_PARENT] = str(parent)
    env[_channel.ENV_DESCENDANTS] = "1"
    return env


def _as_str_env(env: "Any") -> "dict[str, str] | None":
    """A mapping of str or bytes as str, or None when it cannot be read as one
    (then the call goes through untouched, and fails or not as it would)."""
    try:
        out = {}
        for key, value in env.items():
            out[os.fsdecode(key)] = os.fsdecode(value)
        return out
    except (AttributeError, TypeError, ValueError):
        return None


_environ_table: "list[Any]" = []  # ctypes' view of the C environ, once read


def _c_environ() -> "dict[str, str]":
    """The environment a process started without an explicit one inherits:
    the C library's ``environ``, which is ``os.environ`` unless C code changed
    it behind Python's back (GNU readline sets LINES and COLUMNS there). Read
    through ctypes, which is kept here but out of ``sys.modules`` (the program
    sees the modules it imported; it gets its own ctypes if it imports one);
    ``os.environ`` where that fails."""
    try:
        if not _environ_table:
            _environ_table.append(_environ_pointer())
        table = _environ_table[0]()
        env: dict[str, str] = {}
        at = 0
        while table[at] is not None:
            key, sep, value = os.fsdecode(table[at]).partition("=")
            if sep:
                env.setdefault(key, value)
            at += 1
        return env
    except Exception:
        return dict(os.environ)


def _environ_pointer() -> "Callable[[], Any]":
    """A function returning the current ``char **environ``, its entries as bytes."""
    before = set(sys.modules)
    try:
        import ctypes

        entries = ctypes.POINTER(ctypes.c_char_p)
        if sys.platform == "darwin":
            get = ctypes.CDLL(None)._NSGetEnviron
            get.restype = ctypes.POINTER(entries)
            return lambda: get().contents
        variable = entries.in_dll(ctypes.CDLL(None), "environ")
        # in_dll reads the variable once: read its current value at each call.
        address = ctypes.addressof(variable)
        return lambda: entries.from_address(address)
    finally:
        for name in set(sys.modules) - before:
            sys.modules.pop(name, None)


def _instrument(path: "Any", argv: "Any", env: "Any") -> "tuple[int, dict[str, str]] | None":
    """(channel fd, the new environment) when the program to run is ours to
    instrument, else None. *env* None: the inherited one."""
    fd = _channel_fd()
    if fd < 0 or not _same_interpreter(path) or not _wants_us(argv):
        return None
    mapping = _c_environ() if env is None else _as_str_env(env)
    if mapping is None:
        return None
    return fd, mapping


def _inheritable_copy(fd: int) -> int:
    copy = os.dup(fd)
    os.set_inheritable(copy, True)
    return copy


def _drop_own_frames(exc: BaseException) -> None:
    """Keep our wrappers out of the traceback the program sees of an error
    its call raised (a bare ``raise`` after this does not add them again;
    3.10 does, and the child's excepthook takes them out there)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_globals.get("__name__") == __name__:
        tb = tb.tb_next
    exc.__traceback__ = tb


def _plain_argv(argv: "Any") -> bool:
    """An argv exec accepts as it is: anything else goes to the original,
    which raises its own error for it."""
    return isinstance(argv, (list, tuple)) and bool(argv) and bool(argv[0])


def _execv(original: "Any") -> "Any":
    def execv(path: "Any", argv: "Any") -> "Any":
        try:
            found = _instrument(path, argv, None) if _plain_argv(argv) else None
            if found is None:
                return original(path, argv)
            return _execve_instrumented(path, argv, found)
        except BaseException as exc:
            _drop_own_frames(exc)
            raise

    return execv


def _execve(original: "Any") -> "Any":
    def execve(path: "Any", argv: "Any", env: "Any") -> "Any":
        try:
            found = None
            if _plain_argv(argv) and not isinstance(path, int):  # fexecve: leave it
                found = _instrument(path, argv, env)
            if found is None:
                return original(path, argv, env)
            return _execve_instrumented(path, argv, found)
        except BaseException as exc:
            _drop_own_frames(exc)
            raise

    return execve


def _execve_instrumented(path: "Any", argv: "Any", found: "tuple[int, dict[str, str]]") -> "Any":
    fd, env = found
    real_execve = _originals["execve"]
    copy = _inheritable_copy(fd)
    try:
        # The process replaces itself: the new program's parent is this one's.
        return real_execve(path, argv, _our_variables(env, copy, os.getppid()))
    finally:  # exec failed (it does not return otherwise)
        os.close(copy)


def _posix_spawner(searches: bool) -> "Any":
    return lambda original: _posix_spawn(original, searches)


def _posix_spawn(original: "Any", searches: bool) -> "Any":
    def posix_spawn(path: "Any", argv: "Any", env: "Any", *args: "Any", **kwargs: "Any") -> "Any":
        try:
            full = _search(path) if searches and _plain_argv(argv) and not args else path
            found = None if full is None or not _plain_argv(argv) or args else _instrument(full, argv, env)
            if found is None:
                return original(path, argv, env, *args, **kwargs)
            fd, mapping = found
            copy = _inheritable_copy(fd)
            try:
                actions = _keeping(kwargs.get("file_actions"), copy)
                if actions is None:
                    return original(path, argv, env, *args, **kwargs)
                if kwargs.get("file_actions") is not None:
                    kwargs["file_actions"] = actions
                return original(path, argv, _our_variables(mapping, copy, os.getpid()), *args, **kwargs)
            finally:
                os.close(copy)
        except BaseException as exc:
            _drop_own_frames(exc)
            raise

    return posix_spawn


def _keeping(actions: "Any", fd: int) -> "list[Any] | None":
    """The file actions of a posix_spawn call, such that *fd* stays open in the
    new process; None when that cannot be done without changing what else it
    gets (the call then goes through untouched). ``POSIX_SPAWN_CLOSEFROM``
    (3.13's subprocess uses it for ``close_fds=True``) becomes one
    ``POSIX_SPAWN_CLOSE`` for each fd it would have closed that survives exec
    (the inheritable ones: the others close on exec anyway), ours left out."""
    if actions is None:
        return []
    try:
        actions = list(actions)
    except TypeError:
        return None
    closefrom = getattr(os, "POSIX_SPAWN_CLOSEFROM", None)
    out: list[Any] = []
    opened: set[int] = set()  # fds earlier actions opened in the new process
    for action in actions:
        if not isinstance(action, tuple) or not action:
            return None
        tag = action[0]
        if tag == os.POSIX_SPAWN_DUP2 and len(action) == 3:
            if action[2] == fd:
                return None  # the program puts one of its own there
            opened.add(action[2])
        elif tag == os.POSIX_SPAWN_OPEN and len(action) == 5:
            if action[1] == fd:
                return None
            opened.add(action[1])
        elif tag == os.POSIX_SPAWN_CLOSE and len(action) == 2:
            if action[1] == fd:
                return None
            opened.discard(action[1])
        elif closefrom is not None and tag == closefrom and len(action) == 2:
            inheritable = _inheritable_fds()
            if inheritable is None:
                return None
            low = action[1]
            for other in sorted((inheritable | opened) - {fd}):
                if other >= low:
                    out.append((os.POSIX_SPAWN_CLOSE, other))
            opened = {other for other in opened if other < low}
            continue
        else:
            return None
        out.append(action)
    return out


def _inheritable_fds() -> "set[int] | None":
    """This process's inheritable fds, or None where they cannot be listed."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found = set()
        for name in names:
            try:
                if os.get_inheritable(int(name)):
                    found.add(int(name))
            except (OSError, ValueError):
                pass  # the listing's own fd, closed by now
        return found
    return None


def _search(name: "Any") -> "Any":
    """Where posix_spawnp finds *name*: in the PATH of this process's own
    environment, as execvp(3) looks (not the new program's, which the call
    passes), or the default path without one."""
    try:
        name = os.fsdecode(name)
    except (TypeError, ValueError):
        return None
    if os.sep in name:
        return name
    for folder in _c_environ().get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# -- _posixsubprocess.fork_exec ------------------------------------------------------


def _fork_exec(original: "Any") -> "Any":
    def fork_exec(*args: "Any", **kwargs: "Any") -> "Any":
        try:
            return _fork_exec_call(original, args, kwargs)
        except BaseException as exc:
            _drop_own_frames(exc)
            raise

    return fork_exec


def _fork_exec_call(original: "Any", args: "Any", kwargs: "Any") -> "Any":
    """The wrapper's work: the call with our variables and fd, or as it came."""
    if kwargs or len(args) < 6:
        return original(*args, **kwargs)  # a signature we did not check: untouched
    argv, executables, close_fds, fds_to_keep, cwd, env_list = args[:6]
    found = None
    try:
        path = _first_executable(executables, cwd)
        env = None if env_list is None else _env_from_list(env_list)
        if path is not None and (env_list is None or env is not None) and _plain_argv(argv):
            found = _instrument(path, argv, env)
        keep = None if found is None else tuple(sorted(set(fds_to_keep) | {found[0]}))
    except (TypeError, ValueError, OSError):
        found = None  # arguments fork_exec itself will refuse, with its own error
    if found is None or keep is None:
        return original(*args)
    fd, mapping = found
    new_env = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in _our_variables(mapping, fd, os.getpid()).items()]
    return original(argv, executables, close_fds, keep, cwd, new_env, *args[6:])


def _first_executable(executables: "Any", cwd: "Any") -> "Any":
    """The candidate fork_exec will run: the first that exists and may be run."""
    for candidate in executables:
        name = os.fsdecode(candidate)
        full = name if os.path.isabs(name) or cwd is None else os.path.join(os.fsdecode(cwd), name)
        if os.path.isfile(full) and os.access(full, os.X_OK):
            return full
    return None


def _env_from_list(env_list: "Any") -> "dict[str, str] | None":
    env = {}
    for entry in env_list:
        key, sep, value = os.fsdecode(entry).partition("=")
        if not sep:
            return None
        env[key] = value
    return env


def _patch_posixsubprocess(module: "Any") -> None:
    original = getattr(module, "fork_exec", None)
    if original is None or hasattr(original, "__wrapped__"):
        return
    _wrap(module, "fork_exec", _fork_exec)
    # A subprocess imported before us (the fork server's template preloads it)
    # holds its own reference (3.11+).
    subprocess = sys.modules.get("subprocess")
    if subprocess is not None and getattr(subprocess, "_fork_exec", None) is original:
        subprocess._fork_exec = module.fork_exec  # type: ignore[attr-defined]


_originals: "dict[str, Any]" = {"execve": os.execve}
