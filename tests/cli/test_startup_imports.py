"""A command loads only what it uses: `relsim run` (a headless run and its printed summary)
imports neither Mesa (over a second at import: its logging walks the call stack's source),
matplotlib (half a second) nor scipy.stats (0.7 s), so every command and every test that
starts one is seconds quicker. Checked by the modules loaded, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

from support import ROOT, SCENARIOS

HEAVY = ("mesa", "matplotlib", "scipy.stats")


def test_a_headless_run_and_its_summary_import_no_mesa_matplotlib_or_scipy_stats(tmp_path):
    code = (f"import json, sys\nfrom sim.cli.main import main\n"
            f"code = main(['run', {str(SCENARIOS / 'b2b_key_accounts.toml')!r}, '--out', {str(tmp_path / 'r')!r}, "
            f"'--steps', '3', '--replicates', '2', '--workers', '1', '--set', 'market.buyers=100'])\n"
            f"print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] in "
            f"('mesa', 'matplotlib') or m.startswith('scipy.stats'))]))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0 and loaded == [], f"a headless run imported {loaded}"
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["versions"]["mesa"].startswith("3.")  # still recorded, from Mesa's metadata
