"""What a report draws from: a ``run`` or ``compare`` results folder read into one
:class:`ReportData` (series, summary, events, relationships, groups and their colours)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.schema import ScenarioError
from sim.engine.state import Positioning
from sim.experiment.run import CORE_TABLES, ResultsFolder
from sim.observe.kpis import (
    SERIES_COLUMNS,
    STAGES,
    dropped_share,
    replicate_outcomes,
    retention,
    step_unit,
    summarise_outcomes,
    with_exits,
)
from sim.observe.recorder import SEGMENT_COUNTS
from sim.stats.intervals import mean_interval

#: Stage columns of the supplier series, in life-cycle order (the registry's), with the names a
#: reader knows: "final" is Ford's settled, institutionalised stage, not an ending.
STAGE_COLUMNS = STAGES
STAGE_NAMES = {"early": "Early", "development": "Development", "long_term": "Long-term",
               "final": "Final (settled)"}
STAGE_COLOURS = {"early": "#c7e9b4", "development": "#7fcdbb", "long_term": "#1d91c0",
                 "final": "#0c2c84"}

#: Positionings in the order of the buyer's matrix (importance/risk x value, seed text 003).
POSITIONINGS = (Positioning.PARTNER, Positioning.MANAGED, Positioning.DESIRED,
                Positioning.INDEPENDENT)
POSITIONING_NAMES = {
    "partner": "Partner\n(important, valued)",
    "managed": "Managed\n(important, low value)",
    "desired": "Desired\n(minor, valued)",
    "independent": "Independent\n(minor, low value)",
}

#: Colour-blind-safe (Okabe & Ito) colours; preset strategies keep theirs in every report.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#882255", "#44AA99", "#999933")
FIXED_COLOURS = {"relationship": "#0072B2", "transactional": "#D55E00", "segmented": "#009E73",
                 "basic": "#999933", "reactive": "#E69F00", "accountable": "#CC79A7",
                 "proactive": "#56B4E9", "partnership": "#882255"}

STYLE = {
    "font.size": 11.5, "axes.titlesize": 13, "axes.titleweight": "bold", "axes.labelsize": 12,
    "xtick.labelsize": 10.5, "ytick.labelsize": 10.5, "legend.fontsize": 10.5,
    "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#e3e6ea", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "axes.edgecolor": "#5f6b7a", "axes.labelcolor": "#1f2933", "xtick.color": "#3e4c59",
    "ytick.color": "#3e4c59", "figure.facecolor": "white", "savefig.facecolor": "white",
}
DPI = 150
TIME_LABEL = "Month (simulation step)"
MONEY = "money units"

# --------------------------------------------------------------------------- loading


@dataclass
class ReportData:
    """What the figures are drawn from, whatever kind of folder it came from.

    ``suppliers`` is the per-step supplier series with a ``group`` column (the strategy a
    supplier followed at that step, or the alternative in a compare, focal suppliers only);
    ``transitions`` counts stage transitions by group, replicate, from/to stage and cause;
    ``relationships`` holds group, replicate, current, positioning and net_value of every
    relationship that ever traded (each supplier in the group its strategy had at the end)."""

    folder: Path
    kind: str                      # "run" or "compare"
    manifest: dict[str, Any]
    groups: list[str]
    suppliers: pd.DataFrame
    transitions: pd.DataFrame
    relationships: pd.DataFrame
    replicate_ids: dict[str, list[int]]  # finished replicates per group
    compare_summary: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    rivals: pd.DataFrame | None = None  # compare: the other suppliers' series, group = alternative
    #: the group's suppliers' counts by buyer segment per (group, replicate, step, segment):
    #: :data:`sim.observe.recorder.SEGMENT_COUNTS` and revenue; None for results written
    #: before relsim recorded them
    segments: pd.DataFrame | None = None

    @property
    def replicates(self) -> dict[str, int]:
        """Finished replicates per group."""
        return {g: len(ids) for g, ids in self.replicate_ids.items()}

    @property
    def group_word(self) -> str:
        return "alternative" if self.kind == "compare" else "strategy"

    @property
    def group_title(self) -> str:
        return "Alternative" if self.kind == "compare" else "Strategy"

    @cached_property
    def colours(self) -> dict[str, str]:
        """One colour per group, the same in every figure; preset strategy names keep theirs
        across reports, other groups take the palette's next free colour."""
        reserved = {FIXED_COLOURS[g.lower()] for g in self.groups if g.lower() in FIXED_COLOURS}
        colours: dict[str, str] = {}
        for group in self.groups:
            colour = FIXED_COLOURS.get(group.lower())
            used = set(colours.values())
            if colour is None or colour in used:
                free = [c for c in PALETTE if c not in used]
                colour = next((c for c in free if c not in reserved),
                              free[0] if free else PALETTE[len(colours) % len(PALETTE)])
            colours[group] = colour
        return colours

    @cached_property
    def series(self) -> pd.DataFrame:
        """One row per (group, replicate, step): the group's suppliers added together, trust
        and commitment weighted by current customers, retention over customers at the start
        of the step."""
        s = self.suppliers
        current = s[list(STAGE_COLUMNS)].sum(axis=1)
        frame = pd.DataFrame({
            "group": s["group"], "replicate": s["replicate"], "step": s["step"],
            "current": current, "market_share": s["market_share"],
            "cumulative_profit": s["cumulative_profit"],
            "customers_at_start": s["customers_at_start"], "retained": s["retained"],
            "lost_customers": s["lost_customers"], "left_customers": s["left_customers"],
            "dropped_customers": s["dropped_customers"], "new_customers": s["new_customers"],
            "trust_x": s["mean_trust"].fillna(0.0) * current,
            "commitment_x": s["mean_commitment"].fillna(0.0) * current,
            **{c: s[c] for c in STAGE_COLUMNS},
        })
        g = frame.groupby(["group", "replicate", "step"], sort=True).sum()
        # a group with no supplier in some replicate and step (after imitation) counts as zero
        # there, not as missing: otherwise its mean share would come from the other runs only
        steps = np.sort(s["step"].unique())
        full = pd.MultiIndex.from_tuples(
            [(grp, r, t) for grp in self.groups for r in self.replicate_ids[grp] for t in steps],
            names=["group", "replicate", "step"])
        g = g.reindex(full, fill_value=0).reset_index()
        customers = g["current"].where(g["current"] > 0)
        at_start = g["customers_at_start"].where(g["customers_at_start"] > 0)
        g["mean_trust"] = g["trust_x"] / customers
        g["mean_commitment"] = g["commitment_x"] / customers
        g["retention_rate"] = retention(g["retained"], g["customers_at_start"], g["dropped_customers"])
        g["churn_rate"] = 1 - g["retention_rate"]
        g["dropped_rate"] = dropped_share(g["dropped_customers"], at_start)
        # counts of customers who left and who were dropped (none to lose at first)
        g["churned"] = g["left_customers"].where(g["customers_at_start"] > 0)
        g["dropped"] = g["dropped_customers"].where(g["customers_at_start"] > 0)
        return g.drop(columns=["trust_x", "commitment_x"])

    def segment_retention_band(self, window: int = 1) -> pd.DataFrame:
        """Per group, segment and step: the mean across replicates of the group's retention
        among the segment's customers (the registry's formula on the segment's counts) over
        the ``window`` steps up to it, with its 95% t half-width. Empty without segment series."""
        columns = ["group", "segment", "step", "mean", "half"]
        if self.segments is None or self.segments.empty:
            return pd.DataFrame(columns=columns)
        counts = ["retained", "customers_at_start", "dropped_customers"]
        g = self.segments.sort_values("step").groupby(["group", "replicate", "segment"], sort=False)
        pooled = g[counts].rolling(window, min_periods=1).sum().reset_index(level=[0, 1, 2])
        pooled["step"] = self.segments.loc[pooled.index, "step"]
        pooled["rate"] = retention(pooled["retained"], pooled["customers_at_start"], pooled["dropped_customers"])
        rows = [(group, segment, step, *mean_interval(values.to_numpy()))
                for (group, segment, step), values in pooled.groupby(["group", "segment", "step"], sort=True)["rate"]]
        return pd.DataFrame(rows, columns=columns)

    @cached_property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario the results came from, as stored in the run manifest (a
        compare's from its first alternative's folder); {} when the manifest lacks it."""
        m = self.manifest
        if self.kind == "compare":
            alts = m.get("alternatives") or [{}]
            first = self.folder / str(alts[0].get("folder", f"alternatives/{alts[0].get('name', '')}"))
            m = ResultsFolder(first).read_manifest() or {}
        scenario = m.get("scenario")
        return scenario if isinstance(scenario, dict) else {}

    @cached_property
    def unit(self) -> str:
        """The scenario's step unit ("month" unless it names another)."""
        return step_unit(self.scenario)

    @property
    def discount_rate(self) -> float:
        return float((self.scenario.get("market") or {}).get("discount_rate", 0.01))

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per (replicate, group), a column per KPI of :mod:`sim.observe.kpis`: the
        same numbers as the run summary and compare, from the same definitions."""
        return replicate_outcomes(self.suppliers, None, self.discount_rate, by="group",
                                  relationships=self.relationships)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per group: each KPI's mean across replicates (``NAME``) and 95% half-width
        (``NAME_ci95``), and ``suppliers`` at the end as text ("2" or "1–2")."""
        summary = summarise_outcomes(self.outcomes, "group").set_index("group").reindex(self.groups)
        summary = summary.reset_index()
        end = self.suppliers[self.suppliers["step"] == self.suppliers["step"].max()]
        texts = []
        for group in self.groups:
            count = end[(end["group"] == group) & end["active"].astype(bool)].groupby("replicate")[
                "supplier"].nunique().reindex(self.replicate_ids[group], fill_value=0)
            low, high = int(count.min()), int(count.max())
            texts.append(f"{low}" if low == high else f"{low}–{high}")
        summary["suppliers"] = texts
        return summary

    def band(self, column: str) -> pd.DataFrame:
        """Per group and step: mean across replicates and the 95% t half-width (NaN with one
        replicate)."""
        rows = []
        for (group, step), values in self.series.groupby(["group", "step"], sort=True)[column]:
            mean, half = mean_interval(values.to_numpy())
            rows.append((group, step, mean, half))
        return pd.DataFrame(rows, columns=["group", "step", "mean", "half"])

    def max_replicates(self) -> int:
        return max(self.replicates.values()) if self.replicates else 0


def _finished_replicates(folder: ResultsFolder) -> list[int]:
    return sorted(folder.completed())


def _read(folder: ResultsFolder, table: str, replicate: int, columns: list[str],
          as_text: bool = True) -> pd.DataFrame:
    frame = folder.read_replicate_table(table, replicate, columns)  # names a damaged file
    return _as_text(frame) if as_text else frame


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical names as plain text: replicate files may carry different categories."""
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype) or frame[col].dtype == object:
            frame[col] = frame[col].astype(str)
    return frame


SUPPLIER_COLUMNS = list(dict.fromkeys([*SERIES_COLUMNS, "strategy", "cumulative_profit", "lost_customers"]))


def _load_run_folder(path: Path, group: str | None = None,
                     focal: list[str] | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[int], pd.DataFrame]:
    """The supplier series, transition counts (by the buyer's segment too) and relationships
    of one run folder, and the rivals' series (the suppliers outside ``focal``). With
    ``group``, every (focal) supplier belongs to it; otherwise to its strategy at the time."""
    folder = ResultsFolder(path)
    if not path.is_dir():
        raise ScenarioError(f"{path}: no such results folder")
    if folder.read_manifest() is None:
        raise ScenarioError(f"{path}: not a results folder (no manifest.json); give the folder "
                            f"written by relsim run or relsim compare")
    reps = _finished_replicates(folder)
    if not reps:
        missing = [t for t in CORE_TABLES if not any((path / f"{t}.parquet").glob("rep-*.parquet"))]
        raise ScenarioError(f"{path}: no finished replicates here (expected "
                            f"{', '.join(f'{t}.parquet/rep-*.parquet' for t in missing or CORE_TABLES)})")
    suppliers, transitions, relationships, rivals, segment_series = [], [], [], [], []
    for r in reps:
        s = with_exits(_read(folder, "suppliers", r, _present(folder, "suppliers", r, SUPPLIER_COLUMNS)))
        if folder.has("segments", r):
            segment_series.append(_segment_counts(_read(folder, "segments", r, SEGMENT_READ), r, group, focal))
        if focal is not None:
            rivals.append(s[~s["supplier"].isin(focal)].assign(group=group))
            s = s[s["supplier"].isin(focal)]
            if s.empty:
                raise ScenarioError(f"{folder.replicate_file('suppliers', r)}: none of the focal "
                                    f"suppliers {', '.join(focal)} are in this run")
        s["group"] = group if group is not None else s["strategy"]
        suppliers.append(s)
        key = s[["step", "supplier", "group"]]

        # one row per pair that ever traded (the largest table): map names through the
        # categories rather than turning every row into text
        rel = _read(folder, "relationships", r, ["buyer", "supplier", "current", "positioning", "net_value",
                                                 "orders", "segment"], as_text=False)
        segments = rel["segment"].astype("category")
        segment_of = np.full(int(rel["buyer"].max()) + 2 if len(rel) else 1, -1, np.int64)
        segment_of[rel["buyer"].to_numpy()] = segments.cat.codes.to_numpy()

        ev = _read(folder, "events", r, ["step", "buyer", "supplier", "from_stage", "to_stage", "cause"],
                   as_text=False)
        # the buyer's segment (a buyer in the log has traded, so it is in the relationship table;
        # one only made aware is "–")
        buyer = np.minimum(ev["buyer"].to_numpy(), len(segment_of) - 1)
        codes_ = segment_of[buyer]
        ev = ev.assign(segment=pd.Categorical.from_codes(np.where(codes_ >= 0, codes_, len(segments.cat.categories)),
                                                         [*map(str, segments.cat.categories), "–"]))
        # count on the categorical codes first: the log holds one row per transition
        counts = ev.groupby(["step", "supplier", "from_stage", "to_stage", "cause", "segment"],
                            observed=True).size()
        counts = _as_text(counts.rename("count").reset_index()).merge(key, on=["step", "supplier"])
        counts = counts.groupby(["group", "from_stage", "to_stage", "cause", "segment"])["count"].sum()
        counts = counts.reset_index()
        counts.insert(1, "replicate", r)
        transitions.append(counts)

        last = key[s["step"] == s["step"].max()]
        group_of = dict(zip(last["supplier"], last["group"]))
        names = rel["supplier"].astype("category")
        codes = np.array([group_of.get(str(c)) for c in names.cat.categories] + [None], dtype=object)
        rel = pd.DataFrame({"replicate": r, "group": codes[names.cat.codes.to_numpy()],
                            "current": rel["current"].to_numpy(bool),
                            "positioning": np.asarray(rel["positioning"], dtype=object),
                            "net_value": rel["net_value"].to_numpy(float),
                            "orders": rel["orders"].to_numpy(), "supplier": names.astype(str).to_numpy(),
                            "segment": np.asarray(segments, dtype=object)})
        relationships.append(rel[pd.notna(rel["group"])])
    return (pd.concat(suppliers, ignore_index=True), pd.concat(transitions, ignore_index=True),
            pd.concat(relationships, ignore_index=True), reps,
            pd.concat(rivals, ignore_index=True) if rivals else pd.DataFrame(),
            # only when every replicate has them: a mean over some of the runs would mislead
            pd.concat(segment_series, ignore_index=True) if len(segment_series) == len(reps) else None)


SEGMENT_READ = ["step", "supplier", "strategy", "segment", *SEGMENT_COUNTS, "revenue"]


def _present(folder: ResultsFolder, table: str, replicate: int, columns: list[str]) -> list[str]:
    """The ``columns`` a replicate file has (results written by an earlier relsim lack the newer)."""
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(folder.replicate_file(table, replicate)).names)
    except Exception:  # a damaged file: reading it names it
        return columns
    return [c for c in columns if c in names]


def _segment_counts(frame: pd.DataFrame, replicate: int, group: str | None,
                    focal: list[str] | None) -> pd.DataFrame:
    """A replicate's segment series summed over the group's suppliers: per group, step and segment."""
    if focal is not None:
        frame = frame[frame["supplier"].isin(focal)]
    frame = frame.assign(group=group if group is not None else frame["strategy"])
    counts = frame.groupby(["group", "step", "segment"], sort=True)[[*SEGMENT_COUNTS, "revenue"]].sum()
    counts = counts.reset_index()
    counts.insert(1, "replicate", replicate)
    return counts


def _ordered_groups(suppliers: pd.DataFrame) -> list[str]:
    first = suppliers.sort_values(["step", "replicate"], kind="stable")
    return list(dict.fromkeys(first["group"]))


def load_report_data(results_dir: str | Path) -> ReportData:
    """Read a ``run`` or ``compare`` results folder for the report; a missing, empty or
    malformed folder raises :class:`ScenarioError` saying what is wrong."""
    path = Path(results_dir)
    if not path.exists():
        raise ScenarioError(f"{path}: no such results folder; give the folder written by "
                            f"relsim run or relsim compare (e.g. results/b2b_key_accounts)")
    if not path.is_dir():
        raise ScenarioError(f"{path}: is a file, not a results folder")
    manifest = ResultsFolder(path).read_manifest()
    if manifest is None:
        raise ScenarioError(f"{path}: not a results folder (no manifest.json); give the folder "
                            f"written by relsim run or relsim compare")
    if not isinstance(manifest, dict):
        raise ScenarioError(f"{path}/manifest.json: expected a JSON object")
    kind = manifest.get("kind", "run")
    if kind == "run":
        return _load_run(path, manifest)
    if kind == "compare":
        return _load_compare(path, manifest)
    if kind == "sweep":
        raise ScenarioError(f"{path}: holds a sweep; its page is written by `relsim analyze {path}`")
    raise ScenarioError(f"{path}/manifest.json: kind = {kind!r}: the report reads 'run' or "
                        f"'compare' folders")


#: The note on results written before relsim counted customers dropped on purpose apart.
PREDATES_EXITS = ("These results were written by an earlier relsim that did not count customers dropped on "
                  "purpose apart: here retention counts them as lost and the share dropped reads 0. Run the "
                  "same command again with --overwrite to count them apart.")


def _predates_exits(path: Path) -> bool:
    """Whether a run folder's supplier series lacks the counts of customers left and dropped."""
    folder = ResultsFolder(path)
    reps = _finished_replicates(folder)
    return bool(reps) and not _present(folder, "suppliers", reps[0], ["dropped_customers"])


def _load_run(path: Path, manifest: dict) -> ReportData:
    suppliers, transitions, relationships, reps, _, segments = _load_run_folder(path)
    groups = _ordered_groups(suppliers)
    notes = [PREDATES_EXITS] if _predates_exits(path) else []
    expected = manifest.get("replicates")
    if isinstance(expected, int) and len(reps) < expected:
        notes.append(f"This run is incomplete: {len(reps)} of {expected} replicates had finished; "
                     f"the report shows those.")
    return ReportData(path, "run", manifest, groups, suppliers, transitions, relationships,
                      {g: list(reps) for g in groups}, notes=notes, segments=segments)


def _load_compare(path: Path, manifest: dict) -> ReportData:
    alternatives = manifest.get("alternatives")
    focal = manifest.get("focal_suppliers")
    if not isinstance(alternatives, list) or not alternatives:
        raise ScenarioError(f"{path}/manifest.json: a compare manifest needs a non-empty "
                            f"'alternatives' list")
    if not isinstance(focal, list) or not focal:
        raise ScenarioError(f"{path}/manifest.json: a compare manifest needs 'focal_suppliers' "
                            f"(the suppliers whose strategy was varied)")
    parts, groups, replicates, notes = [], [], {}, []
    for alt in alternatives:
        if not isinstance(alt, dict) or "name" not in alt:
            raise ScenarioError(f"{path}/manifest.json: alternatives: each needs a name and a folder")
        name = str(alt["name"])
        sub = path / alt.get("folder", f"alternatives/{name}")
        if not sub.is_dir():
            raise ScenarioError(f"{path}: alternative {name!r} has no results folder at {sub}")
        parts.append(_load_run_folder(sub, group=name, focal=[str(f) for f in focal]))
        if _predates_exits(sub) and PREDATES_EXITS not in notes:
            notes.append(PREDATES_EXITS)
        groups.append(name)
        replicates[name] = list(parts[-1][3])
    expected = manifest.get("replicates")
    if isinstance(expected, int) and min(map(len, replicates.values())) < expected:
        notes.append("This comparison is incomplete: "
                     + ", ".join(f"{g} {len(n)} of {expected}" for g, n in replicates.items())
                     + " replicates had finished; the figures show those.")
    tables = {}
    for name in ("summary.csv", "differences.csv"):
        file = path / name
        if not file.exists():
            raise ScenarioError(f"{path}: compare folder without {name}; run relsim compare again "
                                f"to finish it")
        try:
            tables[name] = pd.read_csv(file)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"{file}: unreadable: {exc}") from None
    _require_columns(path / "summary.csv", tables["summary.csv"],
                     ["alternative", "metric", "mean", "ci_low", "ci_high"])
    _require_columns(path / "differences.csv", tables["differences.csv"],
                     ["baseline", "alternative", "metric", "mean_difference", "ci_low",
                      "ci_high", "significant", "sentence"])
    return ReportData(path, "compare", manifest, groups,
                      pd.concat([p[0] for p in parts], ignore_index=True),
                      pd.concat([p[1] for p in parts], ignore_index=True),
                      pd.concat([p[2] for p in parts], ignore_index=True),
                      replicates, compare_summary=tables["summary.csv"],
                      differences=tables["differences.csv"], notes=notes,
                      rivals=pd.concat([p[4] for p in parts], ignore_index=True),
                      segments=(pd.concat([p[5] for p in parts], ignore_index=True)
                                if all(p[5] is not None for p in parts) else None))


def _require_columns(file: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{file}: missing column(s) {', '.join(missing)}")


