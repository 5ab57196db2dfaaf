"""Install-time step: parse the dbt project so the manifest exists before Dagster loads.

Run by `make install` (and so by `make run`, `make test`, `make ui`).
"""

from __future__ import annotations

import os
import subprocess
import sys

from connectors.settings import DBT_PROJECT_DIR, load_settings


def main() -> int:
    settings = load_settings()
    env = {**os.environ, **settings.dbt_env()}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    command = [dbt, "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"]
    completed = subprocess.run(command, env=env, check=False)
    if completed.returncode != 0:
        print("dbt parse failed: the dbt project does not compile (see above)", file=sys.stderr)
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main())
