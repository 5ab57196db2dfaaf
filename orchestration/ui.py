"""`make ui`: the Dagster UI on 127.0.0.1 against the shared sandboxes, with a project-local DAGSTER_HOME."""

from __future__ import annotations

import os
import subprocess
import sys

from connectors.settings import PROJECT_ROOT, load_settings

from .sandboxes import shared_sandboxes
from .webhooks import start_background_receiver


def main() -> int:
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))
    settings = load_settings()
    os.environ.update(settings.dbt_env())
    port = os.environ.get("DAGSTER_PORT", "3000")
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    with shared_sandboxes(list(settings.vendors)):
        # Vendor webhooks land in the lake inbox, where the notification sensors read them.
        receiver = start_background_receiver()
        command = [dagster, "dev", "-h", "127.0.0.1", "-p", port, "-w", str(PROJECT_ROOT / "workspace.yaml")]
        print(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
        try:
            return subprocess.call(command, cwd=PROJECT_ROOT)
        except KeyboardInterrupt:
            return 0
        finally:
            if receiver is not None:
                receiver.stop()


if __name__ == "__main__":
    raise SystemExit(main())
