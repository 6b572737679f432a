"""The sweep folder: a kind of results folder (``manifest.json`` with ``kind = "sweep"``), a
Parquet dataset of runs written as runs finish.

::

    DIR/manifest.json            kind "sweep": what was swept (spec identity, design, seeds),
                                 status, versions, history
    DIR/sweep.toml               the sweep file as given (when run from a file)
    DIR/points.parquet           the design: point_index, point, one column per parameter, x:KEY
    DIR/runs.parquet/part-*.parquet       one tidy row per run: point, replicate, [alternative],
                                          seed, every varied parameter, status, error, outcomes
    DIR/market.parquet/part-*.parquet     optional series (every `keep.every` steps)
    DIR/suppliers.parquet/part-*.parquet
    DIR/segments.parquet/part-*.parquet   the supplier series by buyer segment, when asked
    DIR/events.parquet/part-*.parquet     event logs, only when asked
    DIR/analysis/...             written by ``relsim analyze`` (listed in .relsim-files.json)

:class:`SweepStore` is a :class:`~sim.experiment.store.ResultsStore`: the manifest, the lock,
whole-or-absent writes, the ledger and the ownership rules (``--overwrite`` removes only these
files, a folder holding a user's is refused) are the ones every results folder keeps; this
module adds only what is a sweep's own: batches, reading the dataset, and deciding whether a
spec may resume or extend what is stored.

A batch of finished runs is one part file per table, all with the same name; the runs part
is written last and is what makes the batch count, so a batch cut short by a kill leaves
at most series parts without runs, which the next start removes (they are ours) before
their runs are redone. ``pandas.read_parquet(DIR / "runs.parquet")`` reads every finished run.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.config.schema import ScenarioError
from sim.experiment.files import (
    OUTPUTS_LOCK_NAME,
    FolderLock,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
)
from sim.experiment.store import LOCK_NAME, MANIFEST, ResultsStore, damaged_file, fewer_replicates, what_differs

RUNS = "runs"


def runs_per_point(alternatives: Sequence[str]) -> int:
    """Runs a sweep makes at each point and replicate: one per alternative of a comparison
    (each a row of runs.parquet, all on the same seed), else one."""
    return max(1, len(alternatives))


SERIES_TABLES = ("market", "suppliers", "segments", "events")
#: the manifest of sweeps written before the sweep folder became a results folder
LEGACY_MANIFEST = "sweep.json"
PART_FILE = re.compile(r"part-\d{20}-[0-9a-f]{6}\.parquet")
_TEXT_COLUMNS = ("point", "alternative", "status", "error", "host")

#: what ``relsim analyze`` writes (into ``analysis/``); fixed names, so that an analysis
#: written before the ledger existed is still known as ours
ANALYSIS = "analysis"
ANALYSIS_TABLES = ("effects", "points", "sobol", "morris", "prim_box")
ANALYSIS_FIGURES = ("main_effects", "interactions", "heatmaps", "sobol", "morris", "prim")
ANALYSIS_FILES = frozenset({f"{ANALYSIS}/index.html"} | {f"{ANALYSIS}/{t}.csv" for t in ANALYSIS_TABLES}
                           | {f"{ANALYSIS}/figures/{f}.png" for f in ANALYSIS_FIGURES})


class SweepStore(ResultsStore):
    """Reads and writes one sweep's folder; one writer at a time (the store's lock)."""

    kinds = ("sweep",)
    own_paths = frozenset({MANIFEST, LOCK_NAME, OUTPUTS_LOCK_NAME, LEGACY_MANIFEST, "points.parquet",
                           "sweep.toml"}) | ANALYSIS_FILES
    datasets = (RUNS, *SERIES_TABLES)
    data_file = PART_FILE
    noun = "sweep"

    def __init__(self, path: str | Path):
        super().__init__(path)
        self._lock: FolderLock | None = None

    # ----------------------------------------------------------------- locations
    def manifest_path(self) -> Path:
        legacy = self.path / LEGACY_MANIFEST
        if not (self.path / MANIFEST).exists() and legacy.exists():
            return legacy
        return self.path / MANIFEST

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.path / MANIFEST, manifest)
        (self.path / LEGACY_MANIFEST).unlink(missing_ok=True)  # moved into manifest.json

    def table_dir(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    # ----------------------------------------------------------------- opening
    def open(self, manifest: dict[str, Any], points: pd.DataFrame, spec_text: str | None = None,
             overwrite: bool = False) -> set[tuple[str, int]]:
        """Take the folder for a sweep described by ``manifest``: create it, or check that it
        holds the same sweep (refused with what differs otherwise). Returns the (point,
        replicate) pairs already finished."""
        self._lock = self.open_for_writing("relsim sweep")
        try:
            previous = self.read_manifest()
            if previous is not None:
                self.require_kind(previous, "sweep")
            if overwrite:
                self.remove_own_files()
                previous = None
            elif previous is None:
                if self.finished():
                    raise ScenarioError(f"{self.path}: holds sweep runs but no manifest.json saying what "
                                        f"they are; pass --overwrite to replace them, or choose another --out")
            else:
                self._check_same(previous, manifest, points)
            atomic_write_parquet(points, self.path / "points.parquet")
            if spec_text is not None:
                atomic_write_text(self.path / "sweep.toml", spec_text)
            if previous is not None:
                manifest["history"] = previous.get("history", []) + [
                    {k: previous.get(k) for k in ("started", "replicates", "points", "status", "writer_killed")
                     if k in previous}]
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
        """Refuse a different sweep, and fewer replicates than are stored; allow more replicates
        and a design that keeps every point already run (a larger Sobol or Morris sample, more
        grid levels)."""
        old, new = dict(previous.get("identity", {})), dict(manifest["identity"])
        if new.get("design.kind") == "grid" and list(old.get("parameters") or []) == list(new["parameters"]):
            old.pop("parameters", None)  # a grid's levels may change; the points check below decides
            new.pop("parameters")
        differences = what_differs(old, new)
        if differences:
            raise ScenarioError([f"{self.path}: holds a different sweep; choose another --out, or pass "
                                 f"--overwrite to replace its results. What differs:"]
                                + [f"  {d}" for d in differences])
        finished = self.finished()
        missing = {p for p, _ in finished} - set(points["point"])
        if missing:
            raise ScenarioError(f"{self.path}: the new design leaves out {len(missing)} of the points "
                                f"already run here (a Latin hypercube's points all move when its size "
                                f"changes; Sobol and Morris samples and grids can grow); choose another "
                                f"--out, or keep the design")
        held = 1 + max((r for _, r in finished), default=-1)
        asked = manifest["replicates"]
        if held > asked:  # the manifest would say 3 where the store holds 10: refuse, as a run does
            how = (f"--replicates {asked}" if manifest.get("replicates_from") == "--replicates"
                   else f"sweep.replicates = {asked} in {manifest['source']}"
                   + (f" (variant {manifest['variant']})" if manifest.get("variant") else ""))
            runs = len(finished) * runs_per_point(previous.get("alternatives") or [])
            raise fewer_replicates(self.path, f"{held} replicates of this sweep ({runs} finished "
                                   f"runs)", held, asked, how, "sweep")

    def _clean_after_killed_writer(self) -> None:
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
    def _damaged(self, table: str, path: Path, exc: BaseException) -> ScenarioError:
        what = "runs file" if table == RUNS else f"{table} series file"
        return damaged_file(path, exc, what, "delete this file and run the same `relsim sweep` command "
                            "again to recompute its runs")

    def _parts(self, table: str) -> list[Path]:
        folder = self.table_dir(table)
        return sorted(folder.glob("part-*.parquet")) if folder.exists() else []

    def _dataset(self, table: str) -> ds.Dataset | None:
        files = self._parts(table)
        if not files:
            return None
        # batches may differ in which columns they carry (a batch of failed runs has no
        # outcomes): read them under the union of their schemas
        schemas = []
        for path in files:
            try:
                schemas.append(pq.read_schema(path))
            except Exception as exc:  # pyarrow's ArrowInvalid, OSError ...: name the file
                raise self._damaged(table, path, exc) from None
        unified = pa.unify_schemas(schemas, promote_options="permissive")
        return ds.dataset([str(f) for f in files], format="parquet", schema=unified)

    def _read(self, table: str, dataset: ds.Dataset, columns: list[str] | None) -> pd.DataFrame:
        try:
            return dataset.to_table(columns=columns).to_pandas()
        except Exception as first:  # a file whose footer reads but whose data does not: find it
            for path in self._parts(table):
                try:
                    pq.read_table(path, columns=[c for c in (columns or []) if c in pq.read_schema(path).names]
                                  or None)
                except Exception as exc:
                    raise self._damaged(table, path, exc) from None
            raise self._damaged(table, self.table_dir(table), first) from None

    def runs(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every finished run (one row each), or an empty frame."""
        dataset = self._dataset(RUNS)
        if dataset is None:
            return pd.DataFrame(columns=columns or ["point", "replicate"])
        if columns is not None:
            columns = [c for c in columns if c in dataset.schema.names]
        return self._read(RUNS, dataset, columns)

    def finished(self) -> set[tuple[str, int]]:
        frame = self.runs(columns=["point", "replicate"])
        return set(zip(frame["point"].astype(str), frame["replicate"].astype(int)))

    def table(self, table: str) -> pd.DataFrame:
        dataset = self._dataset(table)
        if dataset is None:
            raise ScenarioError(f"{self.table_dir(table)}: not kept in this sweep (set [keep] "
                                f"{'events = true' if table == 'events' else f'series = [{table!r}]'})")
        return self._read(table, dataset, None)

    def points(self) -> pd.DataFrame:
        path = self.path / "points.parquet"
        if not path.exists():
            raise ScenarioError(f"{self.path}: not a sweep folder (no points.parquet)")
        try:
            return pd.read_parquet(path)
        except Exception as exc:
            raise damaged_file(path, exc, "design file", "run the same `relsim sweep` command again to "
                               "write it anew") from None
