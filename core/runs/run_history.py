"""What the window keeps of each run beyond its RunRecord: the smoothed loss curve for
overlays, the look-back timeline, and the part-3 diagnostics over time. All bounded."""
from __future__ import annotations

from core.diagnostics.stats import PERCENTILES, Snapshot
from core.runs.records import RunRecord
from core.runs.smoothing import SmoothedCurve
from core.runs.timeline import StepSeries, Timeline


class RunHistory:
    def __init__(self, record: RunRecord):
        self.record = record
        self.timeline = Timeline()
        self.param_names: tuple[str, ...] = ()
        self.update_ratios: StepSeries | None = None   # log10(update / data), a column per parameter
        self._percentiles: StepSeries | None = None     # of hpreact, made when first needed
        self.latest: Snapshot | None = None             # the newest snapshot seen
        self.latest_detail: Snapshot | None = None      # the newest one with its part-3 detail
        self.evaluated_at: int | None = None            # the step record's train/val loss belong to

    @property
    def run_id(self) -> int:
        return self.record.run_id

    @property
    def percentiles(self) -> StepSeries:
        """hpreact's percentiles (stats.PERCENTILES) over the steps; made on first use, so the
        hundreds of past runs in the runs table cost no memory for it."""
        if self._percentiles is None:
            self._percentiles = StepSeries(len(PERCENTILES))
        return self._percentiles

    @property
    def smooth(self) -> SmoothedCurve:
        """The loss smoothed on demand (a view of the record's one loss store)."""
        return self.record.curve.smooth

    def add_losses(self, losses) -> None:
        """For a run whose loss store nobody else feeds (the loss-log stages)."""
        self.record.add_losses(losses)
        self.losses_added()

    def losses_added(self) -> None:
        if self.evaluated_at is not None and self.record.steps > self.evaluated_at:
            self.set_split_losses(None, None, None)   # they described weights that have moved on

    def replace_losses(self, losses) -> None:
        """The run took steps back (a divergence): its curves start again from `losses`, the
        whole history the trainer kept, so no taken-back step stays drawn."""
        self.record.replace_losses(losses)
        self.losses_replaced()

    def losses_replaced(self) -> None:
        self.set_split_losses(None, None, None)

    def set_split_losses(self, train, val, at_step: int | None) -> None:
        self.record.set_split_losses(train, val)
        self.evaluated_at = at_step

    def add_snapshot(self, s: Snapshot) -> None:
        if self.latest is None or s.step >= self.latest.step:
            self.latest = s
        self.timeline.offer(s)
        if s.param_names != self.param_names:
            self.param_names = s.param_names
            self.update_ratios = StepSeries(len(s.param_names))
        self.update_ratios.offer(s.step, s.update_ratio_log10)
        if s.detail is not None:
            self.latest_detail = s
            self.percentiles.offer(s.step, s.detail.hpreact_percentiles)


def stage_of(cfg) -> str | None:
    """The loss-log stage (core.presets) whose init switches cfg has, if any."""
    from core.presets import PRESETS
    if (cfg.n_layers, cfg.layer_style, cfg.activation) != (1, "seed", "tanh"):
        return None    # a stage is the seed's one-layer net
    for name, switches in PRESETS.items():
        if all(getattr(cfg, k) == v for k, v in switches.items()) and cfg.w1_scale is None:
            return name
    return None
