"""The results store: one folder per run or comparison, always one consistent set of results.

A **run folder** (``relsim run``, :func:`sim.run`) holds::

    manifest.json                      what ran: scenario, root seed, replicate seeds, versions,
                                       status (running | interrupted | complete), the finished
                                       replicates and each one's computing time
    summary.csv                        the summary by strategy (written once complete)
    market.parquet/rep-00000.parquet   one Parquet file per table and replicate, so that
    suppliers.parquet/...              ``pandas.read_parquet(folder / "market.parquet")`` reads
    events.parquet/...                 every finished replicate
    relationships.parquet/...
    report.html, figures/NAME.png      written by ``relsim report`` (listed in .relsim-files.json)
    .relsim.lock                       the writer's lock (see :class:`FolderLock`)

A **compare folder** holds ``manifest.json`` (``kind = "compare"``), ``metrics.parquet``,
``summary.csv``, ``differences.csv``, the report and ``alternatives/NAME/``, each a run folder.

A **sweep folder** (``relsim sweep``, :mod:`sim.experiment.sweep_store`) holds ``manifest.json``
(``kind = "sweep"``), the design and one Parquet dataset of runs written in batches, and the
``analysis/`` written by ``relsim analyze`` (listed in .relsim-files.json).

Every kind is a :class:`ResultsStore`: the rules below are written once, there.

The rules every writer keeps:

- **Whole or absent.** Every file is written to a hidden uniquely named temporary file and
  renamed into place (:mod:`sim.experiment.files`); pyarrow skips hidden names, so a reader
  never takes a temporary file for data.
- **One consistent set.** A replicate's table files are written first, then the manifest
  that lists it. On opening a folder, a replicate counts only when all four of its tables are
  on disk; the files of a partial replicate (a writer killed between two tables) are removed.
  A manifest whose status is still "running" was left by a killed writer: it is interrupted.
- **One writer.** :meth:`ResultsStore.open_for_writing` takes an exclusive lock the kernel drops when the
  holder dies; a second writer is refused with a message naming the holder. The later writers
  (report, analysis) hold a lock of their own while they add their files
  (:meth:`ResultsStore.writing_outputs`), as does ``--overwrite`` while it clears the folder:
  a report of a sweep still running is allowed, but none is written into a folder being
  cleared, and two of them never lose each other's ledger lines.
- **Only our own files.** :meth:`ResultsStore.unrecognised` lists what this program did not
  write; ``--overwrite`` refuses a folder holding anything of that kind and otherwise removes
  exactly the files listed above (:meth:`ResultsStore.remove_own_files`), nothing else; files
  written later (report, figures, analysis) are recorded in the ledger by
  :meth:`ResultsStore.write_output`. A command never replaces another kind's folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import ScenarioError
from sim.experiment.files import (
    LOCK_NAME,
    OUTPUTS_LOCK_NAME,
    FolderLock,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
)

#: The tables every finished replicate has.
CORE_TABLES = ("market", "suppliers", "events", "relationships")
#: Tables added since (the supplier series by buyer segment): written before the core tables,
#: so a replicate whose core tables are whole has them too; a folder written before they
#: existed still reads, without them.
LATER_TABLES = ("segments",)
TABLES = (*LATER_TABLES, *CORE_TABLES)

#: files this program writes at the top of a run or compare folder
#: (the report's page and figures are ours by the ledger, not by their names: a report.html of
#: the user's in a results folder is neither replaced nor removed)
OWN_FILES = {"manifest.json", "summary.csv", "differences.csv", "metrics.parquet",
             LOCK_NAME, OUTPUTS_LOCK_NAME}
#: where the report and other later writers record the files they wrote (figures/NAME.png)
LEDGER = ".relsim-files.json"
MANIFEST = "manifest.json"
REPLICATE_FILE = re.compile(r"rep-(\d{5,})\.parquet")
TEMPORARY = re.compile(r"\..+\.tmp")
ALTERNATIVES = "alternatives"
#: what each kind of folder is called in messages, and the command that writes it
KINDS = {"run": "`relsim run`", "compare": "`relsim compare`", "sweep": "`relsim sweep`"}


def _show_list(names: list[str], most: int = 6) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def damaged_file(path: Path, exc: BaseException, what: str, remedy: str) -> ScenarioError:
    """The one message for a results file that cannot be read: which file, why, what to do."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ScenarioError(f"{path}: damaged {what} ({reason[:160]}); {remedy}")


def fewer_replicates(path: Path, held: str, least: int, asked: int, asked_how: str, noun: str) -> ScenarioError:
    """The one refusal of fewer replicates than a folder holds (`relsim run`, `relsim sweep`):
    its manifest would then describe fewer results than the folder holds. ``held`` says what
    the folder holds, ``least`` is the fewest replicates that keep it all, ``asked_how`` says
    where the smaller number came from (``--replicates 3``)."""
    return ScenarioError(f"{path}: holds {held}; {asked_how} would leave results that the manifest "
                         f"does not describe. Ask for --replicates {least} or more to reuse them (more "
                         f"extends the {noun}), pass --overwrite to start again with {asked}, or choose "
                         f"another --out")


class ResultsStore:
    """What every results folder shares, whatever wrote it (``run``, ``compare``, ``sweep``):
    the manifest and its damaged-file messages, the writer's lock, whole-or-absent writes, the
    ledger of files written later (reports, analyses), and the ownership rules that let
    ``--overwrite`` remove exactly this program's files and refuse a folder holding a user's.

    A kind of folder says what it owns: :attr:`own_paths` (fixed names, relative to the
    folder), :attr:`datasets` (``NAME.parquet`` folders) and :attr:`data_file` (the names of
    the files inside them)."""

    #: the manifest's ``kind`` values this class reads (a run's manifest has none: "run")
    kinds: tuple[str, ...] = ()
    #: fixed paths this kind of folder's writers use (relative; ``analysis/index.html``)
    own_paths: frozenset[str] = frozenset({MANIFEST, LOCK_NAME, OUTPUTS_LOCK_NAME})
    datasets: tuple[str, ...] = ()
    data_file: re.Pattern = re.compile(r"(?!)")
    #: what a folder of this kind is called in "holds no ..." messages
    noun = "relsim results"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._writing: FolderLock | None = None  # the lock this store took (open_for_writing)
        self._writing_outputs: FolderLock | None = None  # the later writers' lock (writing_outputs)

    # ------------------------------------------------------------------ manifest
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None when there is none. A damaged one is a clear error."""
        path = self.manifest_path()
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise ScenarioError(f"{path}: is a folder, not a results manifest") from None
        except UnicodeDecodeError:
            raise ScenarioError(f"{path}: damaged results manifest (not UTF-8 text); this folder "
                                f"was not written (or was changed) by relsim: choose another folder, "
                                f"or delete the folder and run again") from None
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{path}: damaged results manifest (not valid JSON: {exc.msg}, line "
                                f"{exc.lineno}); delete the folder and run again, or choose another "
                                f"folder") from None
        except RecursionError:
            raise ScenarioError(f"{path}: damaged results manifest (nested too deeply to be one); "
                                f"delete the folder and run again, or choose another folder") from None
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
        if not isinstance(data, dict):
            raise ScenarioError(f"{path}: damaged results manifest (expected a JSON object)")
        if data.get("status") == "running" and not self.being_written():
            data["status"] = "interrupted"  # its writer was killed before it could say so
            # ... and may have left half a replicate, which the next writer removes
            data["writer_killed"] = True
        return data

    def being_written(self) -> bool:
        """Whether a live writer other than this store's own holds the folder's lock now (a
        store that took the lock reads what an earlier, dead writer left as interrupted)."""
        if self._writing is not None and self._writing.held():
            return False
        return FolderLock(self.path).held_by_another()

    def status_text(self, manifest: dict[str, Any]) -> str:
        """How the folder stands, for a reader, from the manifest (as :meth:`read_manifest`
        returns it) and the lock: "complete"; "running (relsim sweep, pid 4242, since
        20:31:02, holds the folder)"; "interrupted (no process holds the folder): run
        `COMMAND` again to resume". The manifest on disk still says "running" after its writer
        was killed (kill -9 leaves it no moment to say otherwise); the free lock tells."""
        status = manifest.get("status")
        if status == "running":  # read_manifest found the lock held
            holder = FolderLock(self.path).holder()
            return f"running ({holder}, holds the folder)" if holder else "running"
        if status != "interrupted":
            return str(status or "unknown")
        how = ("its writer was killed, no process holds the folder" if manifest.get("writer_killed")
               else "stopped before it finished, no process holds the folder")
        command = manifest.get("command")
        # the command line as typed, where it was relsim's (a script's own name says nothing)
        again = (f"run `{command}` again" if isinstance(command, str) and command.startswith("relsim ")
                 else "run the same command again")
        return f"interrupted ({how}): {again} to resume"

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.manifest_path(), manifest)

    def require_kind(self, manifest: dict[str, Any], wanted: str) -> None:
        """Refuse a folder that holds another command's results (before anything is touched:
        ``--overwrite`` never replaces a sweep with a run, or the reverse)."""
        kind = manifest.get("kind", "run")
        if kind != wanted:
            holds = KINDS.get(kind, f"kind {kind!r}")
            raise ScenarioError(f"{self.path}: holds the results of {holds}, not of "
                                f"{KINDS.get(wanted, wanted)}; choose another --out")

    # ------------------------------------------------------------------ outputs of later writers
    def ledger(self) -> set[str]:
        try:
            names = json.loads((self.path / LEDGER).read_text("utf-8"))
        except (OSError, ValueError):
            return set()
        return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()

    @contextmanager
    def writing_outputs(self, command: str) -> Iterator[None]:
        """``with store.writing_outputs("relsim report"):`` — hold the lock of the later writers
        while one adds its files with :meth:`write_output` and :meth:`remove_output`: two
        reports or analyses never lose each other's ledger lines, and none writes into a folder
        an ``--overwrite`` is clearing (which holds this lock too). The folder's own writer
        may be running: a report or an analysis of the results so far is allowed. Refused at
        once (:class:`~sim.experiment.files.FolderBusy`, naming the holder) while another
        process holds it; a no-op when this store holds it already."""
        if self._writing_outputs is not None and self._writing_outputs.held():
            yield
            return
        lock = FolderLock(self.path, command, OUTPUTS_LOCK_NAME).acquire()
        self._writing_outputs = lock
        try:
            yield
        finally:
            lock.release()
            self._writing_outputs = None

    def _require_lock(self, what: str) -> None:
        if self._writing_outputs is None or not self._writing_outputs.held():
            raise RuntimeError(f"{what} {self.path}: take the later writers' lock first "
                               f"(ResultsStore.writing_outputs)")

    #: the pages later writers draw from the results, and the command that draws each again
    PAGES = {"report.html": "relsim report", "analysis/index.html": "relsim analyze"}

    def pages_drawn_earlier(self) -> list[tuple[str, str]]:
        """(page, command) of each page a later writer drew from this folder's results (the
        ledger's report or analysis page, still on disk): after a command adds to the results,
        these show the results as they were before it."""
        names = self.ledger()
        return [(page, command) for page, command in self.PAGES.items()
                if page in names and (self.path / page).is_file()]

    def refuse_foreign_outputs(self, relatives: list[str]) -> None:
        """Refuse (before anything is written) when a file that this program did not write
        sits where one of ``relatives`` would go: a later writer replaces only its own files
        (the ledger's, or a fixed name of the kind's), never a file of the user's that happens
        to have the same name."""
        ours = self.ledger() | self.own_paths
        foreign = [r for r in relatives if r not in ours and (self.path / r).exists()]
        if foreign:
            raise ScenarioError(f"{self.path}: holds files relsim did not write where it would write its own "
                                f"({_show_list(foreign)}); relsim never replaces a file it did not write, "
                                f"so move them away (or rename them) and run the command again")

    def write_output(self, relative: str, content: bytes) -> Path:
        """Write ``relative`` (e.g. ``figures/market_share.png``) whole or not at all, and record
        it as ours so that ``--overwrite`` may remove it later. Under the folder's lock
        (:meth:`writing_outputs`): the ledger is read, extended and written back. A file of
        the user's in its place is refused (:meth:`refuse_foreign_outputs`)."""
        self._require_lock(f"writing {relative} into")
        self.refuse_foreign_outputs([relative])
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        names = self.ledger()
        if relative not in names:
            atomic_write_json(self.path / LEDGER, sorted(names | {relative}))
        atomic_write_bytes(target, content)
        return target

    def remove_output(self, relative: str) -> None:
        """Remove an output of ours that no longer holds (an earlier analysis's Sobol table),
        and its line in the ledger. Only ever a path of ours, the ledger's or a fixed name: a
        file of the user's with that name stays. Under the folder's lock, as :meth:`write_output`."""
        self._require_lock(f"removing {relative} from")
        names = self.ledger()
        if relative not in names and relative not in self.own_paths:
            return
        (self.path / relative).unlink(missing_ok=True)
        if relative in names:
            atomic_write_json(self.path / LEDGER, sorted(names - {relative}))

    # ------------------------------------------------------------------ ownership
    def _own_data(self, entry: Path) -> bool:
        return entry.name.endswith(".parquet") and entry.name.removesuffix(".parquet") in self.datasets

    def _unrecognised_below(self, entry: Path) -> list[str] | None:
        """Hook for a kind with nested folders of its own (a comparison's alternatives): the
        strays below ``entry``, or None when ``entry`` is not such a folder."""
        return None

    def unrecognised(self) -> list[str]:
        """Paths (relative to the folder) that this program did not write."""
        if not self.path.is_dir():
            return []
        strays: list[str] = []
        ours = self.ledger() | self.own_paths
        for entry in sorted(self.path.iterdir()):
            name = entry.name
            if TEMPORARY.fullmatch(name) or name == LEDGER:
                continue
            if entry.is_symlink():
                strays.append(name)
            elif entry.is_file():
                if name not in ours:
                    strays.append(name)
            elif self._own_data(entry):
                strays += [f"{name}/{p.name}" for p in sorted(entry.iterdir())
                           if not (p.is_file() and (self.data_file.fullmatch(p.name) or TEMPORARY.fullmatch(p.name)))]
            elif (below := self._unrecognised_below(entry)) is not None:
                strays += below
            elif any(p.startswith(name + "/") for p in ours):
                # a folder of later writers' outputs (figures/, analysis/): ours where listed
                strays += [rel for p in sorted(entry.rglob("*"))
                           if not p.is_dir() or p.is_symlink()
                           if (rel := str(p.relative_to(self.path))) not in ours and not TEMPORARY.fullmatch(p.name)]
            else:
                strays.append(name + "/")
        return strays

    def refuse_unrecognised(self, action: str) -> None:
        strays = self.unrecognised()
        if strays:
            raise ScenarioError(f"{self.path}: holds files relsim did not write ({_show_list(strays)}); "
                                f"{action} only ever touches relsim's own results, so choose an empty or "
                                f"new --out (or move those files away)")

    def _remove_below(self) -> None:
        """Hook: remove a kind's nested folders of its own (a comparison's alternatives)."""

    def remove_own_files(self) -> None:
        """Remove everything this program wrote here (never anything else; see
        :meth:`unrecognised`), keeping the lock file of the writer that calls this."""
        self.refuse_unrecognised("--overwrite")
        with self.writing_outputs("relsim --overwrite"):  # no report or analysis writes meanwhile
            self._remove_own_files()

    def _remove_own_files(self) -> None:
        for table in self.datasets:
            folder = self.path / f"{table}.parquet"
            if folder.is_dir():
                for p in folder.iterdir():
                    p.unlink()
                folder.rmdir()
        for relative in (self.own_paths - {LOCK_NAME, OUTPUTS_LOCK_NAME}) | self.ledger():
            target = self.path / relative
            target.unlink(missing_ok=True)
            for parent in target.parents:  # figures/, analysis/figures/, analysis/ once empty
                if parent == self.path or not parent.is_dir():
                    break
                for tmp in parent.glob(".*.tmp"):
                    tmp.unlink()
                if any(parent.iterdir()):
                    break
                parent.rmdir()
        self._remove_below()
        (self.path / LEDGER).unlink(missing_ok=True)
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink()

    # ------------------------------------------------------------------ opening
    def _clean_after_killed_writer(self) -> None:
        """Hook, under the lock: remove what a writer killed mid-write left (only ours)."""

    def open_for_writing(self, command: str) -> FolderLock:
        """Create the folder if needed and take its lock (refusing a folder that holds a
        user's files before writing anything into it). Returns the held lock."""
        if self.path.exists() and not self.path.is_dir():
            raise ScenarioError(f"{self.path}: exists and is not a folder; choose another --out")
        if self.path.is_dir() and self.read_manifest() is None and self.unrecognised():
            raise ScenarioError(f"{self.path}: folder is not empty and holds no {self.noun} "
                                f"({_show_list(self.unrecognised())}); choose an empty or new --out")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScenarioError(f"{self.path}: cannot create the results folder ({exc.strerror}); "
                                f"choose another --out") from None
        lock = FolderLock(self.path, command).acquire()
        try:
            for tmp in [*self.path.glob(".*.tmp"), *self.path.glob("*.parquet/.*.tmp")]:
                tmp.unlink(missing_ok=True)
            self._clean_after_killed_writer()
        except BaseException:
            lock.release()
            raise
        self._writing = lock
        return lock


class ResultsFolder(ResultsStore):
    """A run or compare folder: ``manifest.json`` plus one Parquet dataset per table, written
    one replicate file at a time (``market.parquet/rep-00003.parquet``). See the module's text
    for the layout and the rules."""

    kinds = ("run", "compare")
    own_paths = frozenset(OWN_FILES)
    datasets = TABLES
    data_file = REPLICATE_FILE

    # ------------------------------------------------------------------ replicates
    def table_folder(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    def replicate_file(self, table: str, replicate: int) -> Path:
        return self.table_folder(table) / f"rep-{replicate:05d}.parquet"

    def replicates_in(self, table: str) -> set[int]:
        folder = self.table_folder(table)
        if not folder.is_dir():
            return set()
        return {int(m.group(1)) for p in folder.iterdir() if (m := REPLICATE_FILE.fullmatch(p.name))}

    def completed(self) -> set[int]:
        """Replicates whose four core tables are all on disk (the later tables are written
        before them: a replicate written since has those too)."""
        sets = [self.replicates_in(t) for t in CORE_TABLES]
        return set.intersection(*sets) if sets else set()

    def partial(self) -> set[int]:
        """Replicates with some but not all of their tables on disk (a writer killed between)."""
        return set.union(*(self.replicates_in(t) for t in TABLES)) - self.completed()

    def discard(self, replicates: set[int]) -> None:
        for r in replicates:
            for table in TABLES:
                self.replicate_file(table, r).unlink(missing_ok=True)

    def write_replicate(self, replicate: int, frames: dict[str, pd.DataFrame]) -> None:
        """A replicate's tables, the later ones first; each file whole or absent (the manifest
        comes after)."""
        for table in TABLES:
            target = self.replicate_file(table, replicate)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_parquet(frames[table], target)

    def read_replicate_table(self, table: str, replicate: int, columns: list[str] | None = None) -> pd.DataFrame:
        path = self.replicate_file(table, replicate)
        try:
            return pd.read_parquet(path, columns=columns)
        except FileNotFoundError:
            raise ScenarioError(f"{path}: missing; the folder lost a finished replicate's file: run "
                                f"the same command again to recompute it") from None
        except Exception as exc:  # pyarrow raises its own ArrowInvalid, OSError, ValueError ...
            raise damaged_file(path, exc, "replicate file", f"delete this file and run the same command "
                               f"again to recompute replicate {replicate}") from None

    def read_replicate(self, replicate: int) -> dict[str, pd.DataFrame]:
        """A finished replicate's tables; a later table it predates is an empty frame."""
        return {t: self.read_replicate_table(t, replicate) if t in CORE_TABLES or self.has(t, replicate)
                else pd.DataFrame() for t in TABLES}

    def has(self, table: str, replicate: int) -> bool:
        return self.replicate_file(table, replicate).is_file()

    def read_table(self, table: str) -> pd.DataFrame:
        done = sorted(self.completed())
        if not done:
            raise ScenarioError(f"{self.table_folder(table)}: no results here (expected "
                                f"{table}.parquet/rep-*.parquet)")
        if table not in CORE_TABLES:  # replicates written before the table existed have none
            done = [r for r in done if self.has(table, r)]
            if not done:
                return pd.DataFrame()
        return pd.concat([self.read_replicate_table(table, r) for r in done], ignore_index=True)

    # ------------------------------------------------------------------ a comparison's alternatives
    def _unrecognised_below(self, entry: Path) -> list[str] | None:
        if entry.name != ALTERNATIVES:
            return None
        strays = []
        for alt in sorted(entry.iterdir()):
            if alt.is_dir() and not alt.is_symlink():
                strays += [f"{ALTERNATIVES}/{alt.name}/{p}" for p in ResultsFolder(alt).unrecognised()]
            else:
                strays.append(f"{ALTERNATIVES}/{alt.name}")
        return strays

    def _remove_below(self) -> None:
        alternatives = self.path / ALTERNATIVES
        if alternatives.is_dir():
            for alt in alternatives.iterdir():
                ResultsFolder(alt).remove_own_files()
                for lock in (LOCK_NAME, OUTPUTS_LOCK_NAME):
                    (alt / lock).unlink(missing_ok=True)
                alt.rmdir()
            alternatives.rmdir()

    def _clean_after_killed_writer(self) -> None:
        self.discard(self.partial())  # replicates missing a table are recomputed, never trusted


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested scenario dict as dotted keys: ``{"market": {"steps": 12}}`` -> ``market.steps``;
    list items by their name where they have one (``suppliers[Us].markup``)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        names = [v.get("name") for v in value]
        unique = len(set(names)) == len(names) and all(isinstance(n, str) for n in names)
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{names[i] if unique else i}]"))
    else:
        out[prefix] = value
    return out


def what_differs(old: dict[str, Any], new: dict[str, Any], most: int = 8) -> list[str]:
    """What differs between what a folder holds and what is asked now, key by key
    (``market.steps: 120 here, 60 now``): the one wording of every "holds a different ..."
    refusal (scenarios of runs and comparisons, the identity of a sweep)."""
    a, b = flatten(old), flatten(new)
    missing = object()

    def show(v: Any) -> str:
        return "(absent)" if v is missing else json.dumps(v, default=str)
    lines = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, missing), b.get(key, missing)
        if x != y:
            lines.append(f"{key}: {show(x)} here, {show(y)} now")
    if len(lines) > most:
        lines = lines[:most] + [f"... and {len(lines) - most} more"]
    return lines
