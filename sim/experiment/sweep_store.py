"""The results store of a sweep: a folder of Parquet datasets written as runs finish.

::

    DIR/sweep.json               what was swept (spec identity, design, seeds), status, versions
    DIR/sweep.toml               the sweep file as given (when run from a file)
    DIR/points.parquet           the design: point_index, point, one column per parameter, x:KEY
    DIR/runs.parquet/part-*.parquet       one tidy row per run: point, replicate, [alternative],
                                          seed, every varied parameter, status, error, outcomes
    DIR/market.parquet/part-*.parquet     optional series (every `keep.every` steps)
    DIR/suppliers.parquet/part-*.parquet
    DIR/events.parquet/part-*.parquet     event logs, only when asked

A batch of finished runs is one part file per table, all with the same name; the runs part
is written last and is what makes the batch count, so a batch cut short by a kill leaves
at most series parts without runs, which the next start removes (they are ours) before
their runs are redone. Every file is written whole or not at all (hidden temporary, then
rename). ``pandas.read_parquet(DIR / "runs.parquet")`` reads every finished run.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from sim.config.schema import ScenarioError, show
from sim.experiment.files import (
    FolderBusy,
    FolderLock,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    remove_stale_temporaries,
)

RUNS = "runs"
SERIES_TABLES = ("market", "suppliers", "events")
MANIFEST = "sweep.json"
_TEXT_COLUMNS = ("point", "alternative", "status", "error", "host")


class SweepStore:
    """Reads and writes one sweep's folder; one writer at a time (an flock)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock: FolderLock | None = None

    # ----------------------------------------------------------------- locations
    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def table_dir(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, OSError) as exc:
            raise ScenarioError(f"{self.manifest_path}: unreadable sweep manifest: {exc}") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path, manifest)

    # ----------------------------------------------------------------- opening
    def open(self, manifest: dict[str, Any], points: pd.DataFrame, spec_text: str | None = None,
             overwrite: bool = False) -> set[tuple[str, int]]:
        """Take the folder for a sweep described by ``manifest``: create it, or check that it
        holds the same sweep (refused with what differs otherwise). Returns the (point,
        replicate) pairs already finished."""
        if self.path.exists() and not self.path.is_dir():
            raise ScenarioError(f"{self.path}: exists and is not a folder; choose another --out")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScenarioError(f"{self.path}: cannot create the sweep folder ({exc.strerror}); "
                                f"choose another --out") from None
        try:
            self._lock = FolderLock(self.path, "relsim sweep").acquire()
        except FolderBusy as exc:
            raise ScenarioError(exc.messages) from None
        try:
            previous = self.read_manifest()
            if previous is None:
                ours = {MANIFEST, ".relsim.lock"}
                if any(p.name not in ours for p in self.path.iterdir()):
                    if (self.path / "manifest.json").exists():
                        raise ScenarioError(f"{self.path}: holds the results of `relsim run` or `relsim "
                                            f"compare`, not a sweep; choose another --out")
                    raise ScenarioError(f"{self.path}: folder is not empty and holds no sweep; choose an "
                                        f"empty or new --out")
            elif overwrite:
                self._remove_ours()
                previous = None
            else:
                if previous.get("kind") != "sweep":
                    raise ScenarioError(f"{self.path}: {MANIFEST} is not a sweep manifest; choose another --out")
                self._check_same(previous, manifest, points)
            remove_stale_temporaries(self.path)
            self._remove_orphans()
            atomic_write_parquet(points, self.path / "points.parquet")
            if spec_text is not None:
                atomic_write_text(self.path / "sweep.toml", spec_text)
            if previous is not None:
                manifest["history"] = previous.get("history", []) + [
                    {k: previous.get(k) for k in ("started", "replicates", "points", "status")}]
            self.write_manifest(manifest)
            return self.finished()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _check_same(self, previous: dict[str, Any], manifest: dict[str, Any], points: pd.DataFrame) -> None:
        """Refuse a different sweep; allow more replicates and a design that keeps every point
        already run (a larger Sobol or Morris sample, more grid levels)."""
        old, new = previous.get("identity", {}), manifest["identity"]
        grid = new.get("design.kind") == "grid"
        differences = []
        for key in sorted(set(old) | set(new)):
            a, b = old.get(key), new.get(key)
            if key == "parameters" and grid and a is not None and list(a) == list(b):
                continue  # a grid's levels may change; the points check below decides
            if a != b:
                differences.append(f"{key}: {_shown(a)} in the store, {_shown(b)} now")
        if differences:
            raise ScenarioError([f"{self.path}: holds a different sweep; choose another --out, or pass "
                                 f"--overwrite to replace its results. What differs:"]
                                + [f"  {d}" for d in differences])
        old_points = set(self._points_run())
        missing = old_points - set(points["point"])
        if missing:
            raise ScenarioError(f"{self.path}: the new design leaves out {len(missing)} of the points "
                                f"already run here (a Latin hypercube's points all move when its size "
                                f"changes; Sobol and Morris samples and grids can grow); choose another "
                                f"--out, or keep the design")

    def _points_run(self) -> list[str]:
        frame = self.runs(columns=["point"])
        return frame["point"].astype(str).unique().tolist() if len(frame) else []

    def _remove_ours(self) -> None:
        for table in (RUNS, *SERIES_TABLES):
            folder = self.table_dir(table)
            for part in folder.glob("part-*.parquet"):
                part.unlink()
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        for name in (MANIFEST, "points.parquet", "sweep.toml"):
            (self.path / name).unlink(missing_ok=True)

    def _remove_orphans(self) -> None:
        """Series parts whose runs part never got written belong to runs that will be redone."""
        committed = {p.name for p in self.table_dir(RUNS).glob("part-*.parquet")}
        for table in SERIES_TABLES:
            for part in self.table_dir(table).glob("part-*.parquet"):
                if part.name not in committed:
                    part.unlink()

    # ----------------------------------------------------------------- writing
    def write_batch(self, rows: list[dict[str, Any]], tables: dict[str, list[pd.DataFrame]],
                    outcomes: list[str]) -> None:
        """Write one batch of finished runs: series parts first, the runs part last."""
        if not rows:
            return
        name = f"part-{time.time_ns():020d}-{secrets.token_hex(3)}.parquet"
        for table, frames in tables.items():
            if frames:
                folder = self.table_dir(table)
                folder.mkdir(exist_ok=True)
                atomic_write_parquet(pd.concat(frames, ignore_index=True), folder / name)
        frame = pd.DataFrame(rows)
        for column in outcomes:
            if column not in frame:
                frame[column] = float("nan")
        for column in _TEXT_COLUMNS:
            if column in frame:
                frame[column] = frame[column].astype("string")
        folder = self.table_dir(RUNS)
        folder.mkdir(exist_ok=True)
        atomic_write_parquet(frame, folder / name)

    # ----------------------------------------------------------------- reading
    def _dataset(self, table: str) -> ds.Dataset | None:
        folder = self.table_dir(table)
        files = sorted(str(p) for p in folder.glob("part-*.parquet")) if folder.exists() else []
        if not files:
            return None
        # batches may differ in which columns they carry (a batch of failed runs has no
        # outcomes): read them under the union of their schemas
        dataset = ds.dataset(files, format="parquet")
        unified = pa.unify_schemas([frag.physical_schema for frag in dataset.get_fragments()],
                                   promote_options="permissive")
        return ds.dataset(files, format="parquet", schema=unified)

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished run (one row each), or an empty frame."""
        dataset = self._dataset(RUNS)
        if dataset is None:
            return pd.DataFrame(columns=columns or ["point", "replicate"])
        if columns is not None:
            columns = [c for c in columns if c in dataset.schema.names]
        return dataset.to_table(columns=columns).to_pandas()

    def finished(self) -> set[tuple[str, int]]:
        frame = self.runs(columns=["point", "replicate"])
        return set(zip(frame["point"].astype(str), frame["replicate"].astype(int)))

    def table(self, table: str) -> pd.DataFrame:
        dataset = self._dataset(table)
        if dataset is None:
            raise ScenarioError(f"{self.table_dir(table)}: not kept in this sweep (set [keep] "
                                f"{'events = true' if table == 'events' else f'series = [{table!r}]'})")
        return dataset.to_table().to_pandas()

    def points(self) -> pd.DataFrame:
        path = self.path / "points.parquet"
        if not path.exists():
            raise ScenarioError(f"{self.path}: not a sweep folder (no points.parquet)")
        return pd.read_parquet(path)


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return show(value)
