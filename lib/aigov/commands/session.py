"""``aigov emulator`` and ``aigov lab``: long-running sessions, announced and awaited."""

from __future__ import annotations

import sys
import time


def emulator_command(port: int | None = None, state_dir: str | None = None) -> int:
    """``aigov emulator``: serve until Ctrl-C (exit 130), SIGTERM (143) or SIGHUP (129),
    printing the environment to export. A stop by signal is not a success: a service
    manager reads 143 as "stopped", 0 as "finished" (docs/contracts/exit-codes.md)."""
    from aigov.paths import resolve
    from aigov.target.emulator import running_emulator

    state = resolve(state_dir) if state_dir else None
    with running_emulator(port, state) as emu:
        print(f"aigov emulator: moto server on {emu.url}"
              + (f", state kept in {state}" if state else " (state is lost when it stops)"))
        print("Export this in the shell or JupyterLab that should use it:")
        for key, value in emu.environment().items():
            print(f"  export {key}={value}")
        print("Ctrl-C stops it.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt as exc:  # Ctrl-C, and SIGTERM/SIGHUP (errors.Interrupted)
            stopped_by = exc
    print(f"aigov emulator: stopped ({getattr(stopped_by, 'name', 'SIGINT')})",
          file=sys.stderr)
    return getattr(stopped_by, "exit_code", 130)


def lab_command(port: int | None = None, endpoint_url: str | None = None,
                open_browser: bool = True) -> int:
    """``aigov lab``: JupyterLab (and the emulator unless an endpoint is given) until it
    exits, Ctrl-C (130), SIGTERM (143) or SIGHUP (129); both are stopped either way."""
    from aigov.runbook.lab import Stopped, lab_session, stop_on_signals

    try:
        with stop_on_signals(), lab_session(port, endpoint_url, open_browser) as session:
            print(f"aigov lab: {session.where}; this session's notebook: "
                  f"{session.launch.notebook}")
            print(f"aigov lab: open {session.launch.url}", flush=True)
            return session.run()
    except Stopped as stop:
        print(f"aigov lab: stopped by signal {stop.exit_code - 128}", file=sys.stderr)
        return stop.exit_code
