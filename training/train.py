"""Training schedule: allpairs -> toppairs -> ranking, checkpoints, resume, export.

Each stage trains with its own loss, learning rate, weight decay and epoch limit, and
hands over to the next when the dev CoNLL F1 has not improved for `patience` epochs
(or at `max_epochs`), continuing from the stage's best weights. Dev scores are computed
with the exported model through the runtime's scorer and linking (`predict_cached`),
so they are the scores the shipped model gets in the component (same pipeline, same
settings). The model kept is the best over all stages.

Over 500 lines: the three losses, the stage schedule and the `Trainer` that runs them with
checkpoints, resume and export; the Trainer's state (model, optimiser, EMA weights, stage, best
weights) is shared by every step, so it stays one class.
"""

from __future__ import annotations

import copy
import datetime
import json
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import spacy
import torch
import torch.nn.functional as F

from neuralcoref.config import DEFAULTS
from neuralcoref.greedyness import greedyness_offset
from neuralcoref.model_io import CorefModel, base_meta
from .batching import Batcher, far_person_pairs
from .distill import distill_settings, distillation_loss, load_teacher
from .evaluate import cached_links, predict_cached, score_cache, word_rows_for
from .featurize_corpus import (
    FeatureCache,
    build_vocabulary,
    cache_is_current,
    cache_name,
    featurize_corpus,
    load_pipeline,
    pipeline_info,
)
from .model import CorefScorer
from .rewards import RescalingSettings, blended_costs, require_full_annotation
from .vectors import vocabulary_from_config

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).parent / "configs" / "en.cfg"
CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"


# -- config ----------------------------------------------------------------------------------------------

#: config keys that are component settings: the component's defaults unless the config or an override
#: sets them, so the model is featurized and selected with what the runtime does
COMPONENT_SETTINGS = {"data": ("max_dist", "max_dist_match"), "training": ("greedyness", "require_agreement")}


def load_config(path: str | Path = DEFAULT_CONFIG, overrides: dict | None = None) -> dict:
    """The training config as a plain dict; `overrides` maps dotted keys ("training.seed") to values."""
    from thinc.api import Config

    cfg = dict(Config().from_disk(path, overrides=overrides or {}, interpolate=True))
    for section, names in COMPONENT_SETTINGS.items():
        for name in names:
            cfg[section].setdefault(name, DEFAULTS[name])
    return cfg


def parse_overrides(items: Sequence[str]) -> dict:
    """["training.seed=1", "model.pair_hidden=[64]"] -> {"training.seed": 1, ...} (values parsed as JSON when they can be)."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


# -- losses (per stage; scores and gold are padded [B, K+1] matrices, column 0 = "no antecedent") ----------


def _valid(scores: torch.Tensor) -> torch.Tensor:
    return torch.isfinite(scores)


def allpairs_loss(
    scores: torch.Tensor, gold: torch.Tensor, costs: dict, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Binary cross-entropy of every candidate pair and every single score, summed per mention.

    A pair is positive when both mentions are in the same gold cluster; the single score
    is positive when no candidate is (mentions outside the gold, gold singletons included).
    RETURNS: mean over the batch's mentions (each times `weights`, when given: as in every loss).
    """
    valid = _valid(scores)
    logits = scores.masked_fill(~valid, 0.0)
    loss = F.binary_cross_entropy_with_logits(logits, gold.float(), reduction="none")
    return _mean_over_mentions((loss * valid).sum(dim=1), weights)


def toppairs_loss(
    scores: torch.Tensor, gold: torch.Tensor, costs: dict, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of the highest-scoring true pair (-> 1) and highest-scoring false pair (-> 0), plus the single score.

    Mentions without a true (false) candidate skip that term. RETURNS: mean over mentions.
    """
    valid = _valid(scores)
    pair_scores, pair_gold, pair_valid = scores[:, 1:], gold[:, 1:], valid[:, 1:]
    single = F.binary_cross_entropy_with_logits(scores[:, 0], gold[:, 0].float(), reduction="none")
    neg_inf = torch.finfo(scores.dtype).min
    top_true = (
        pair_scores.masked_fill(~(pair_gold & pair_valid), neg_inf).max(dim=1).values
        if pair_scores.shape[1]
        else scores.new_zeros(scores.shape[0])
    )
    top_false = (
        pair_scores.masked_fill(~(~pair_gold & pair_valid), neg_inf).max(dim=1).values
        if pair_scores.shape[1]
        else scores.new_zeros(scores.shape[0])
    )
    has_true = (pair_gold & pair_valid).any(dim=1) if pair_scores.shape[1] else torch.zeros_like(gold[:, 0])
    has_false = (~pair_gold & pair_valid).any(dim=1) if pair_scores.shape[1] else torch.zeros_like(gold[:, 0])
    true_term = (
        F.binary_cross_entropy_with_logits(
            top_true.masked_fill(~has_true, 0.0), torch.ones_like(top_true), reduction="none"
        )
        * has_true
    )
    false_term = (
        F.binary_cross_entropy_with_logits(
            top_false.masked_fill(~has_false, 0.0), torch.zeros_like(top_false), reduction="none"
        )
        * has_false
    )
    return _mean_over_mentions(single + true_term + false_term, weights)


def ranking_costs(gold: torch.Tensor, valid: torch.Tensor, costs: dict) -> torch.Tensor:
    """Mistake costs Delta [B, K+1]: false_new (column 0 for a mention with an antecedent),
    false_link (a pair for a mention without one), wrong_link (a wrong pair otherwise), 0 for gold columns."""
    is_new = gold[:, :1]  # [B, 1]: the mention has no gold antecedent
    delta = torch.zeros(gold.shape, dtype=torch.float32, device=gold.device)
    delta[:, 0] = costs["false_new"]
    delta[:, 1:] = torch.where(
        is_new,
        torch.tensor(costs["false_link"], device=gold.device),
        torch.tensor(costs["wrong_link"], device=gold.device),
    )
    return delta.masked_fill(gold | ~valid, 0.0)


def ranking_loss(
    scores: torch.Tensor,
    gold: torch.Tensor,
    costs: dict,
    weights: torch.Tensor | None = None,
    delta: torch.Tensor | None = None,
) -> torch.Tensor:
    """Slack-rescaled max-margin (Wiseman et al. 2015, Clark & Manning 2016).

    loss = max_i Delta(i) * (1 + s(i) - s(t)), where t is the highest-scoring gold column
    (the latent antecedent) and Delta the mistake cost (the config's fixed costs, or `delta`
    [B, K+1] when given: the reward-rescaled ones, `training.rewards`); 0 when every wrong column is
    at least 1 below t. RETURNS: mean over mentions.
    """
    valid = _valid(scores)
    finite = scores.masked_fill(~valid, 0.0)
    best_gold = finite.masked_fill(~gold, torch.finfo(scores.dtype).min).max(dim=1, keepdim=True).values
    delta = (ranking_costs(gold, valid, costs) if delta is None else delta.masked_fill(gold | ~valid, 0.0)).to(
        scores.dtype
    )
    margins = delta * (1.0 + finite - best_gold)
    return _mean_over_mentions(margins.clamp(min=0.0).max(dim=1).values, weights)


def _mean_over_mentions(per_mention: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """The batch's loss: the mean of its mentions' losses, each times its weight when given
    (`data.partial_weight`, `Batcher.mention_weights`)."""
    return per_mention.mean() if weights is None else (per_mention * weights).mean()


LOSSES = {"allpairs": allpairs_loss, "toppairs": toppairs_loss, "ranking": ranking_loss}


# -- stage schedule --------------------------------------------------------------------------------------


@dataclass
class StageSchedule:
    """Which stage trains now; moves on after `patience` epochs without a better dev score or at `max_epochs`.

    stages: [(name, max_epochs, patience)].
    """

    stages: list
    stage: int = 0
    stage_epoch: int = 0
    best: float = float("-inf")
    bad_epochs: int = 0
    epochs: dict = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.stage >= len(self.stages)

    @property
    def name(self) -> str:
        return self.stages[self.stage][0]

    def update(self, score: float) -> tuple[bool, bool]:
        """Record an epoch's dev score. RETURNS (improved within the stage, stage ended)."""
        name, max_epochs, patience = self.stages[self.stage]
        self.stage_epoch += 1
        self.epochs[name] = self.stage_epoch
        improved = score > self.best
        if improved:
            self.best, self.bad_epochs = score, 0
        else:
            self.bad_epochs += 1
        ended = self.bad_epochs >= patience or self.stage_epoch >= max_epochs
        if ended:
            self.stage += 1
            self.stage_epoch, self.best, self.bad_epochs = 0, float("-inf"), 0
        return improved, ended

    def state_dict(self) -> dict:
        return {
            "stage": self.stage,
            "stage_epoch": self.stage_epoch,
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "epochs": dict(self.epochs),
        }

    def load_state_dict(self, state: dict) -> None:
        self.stage, self.stage_epoch, self.best = state["stage"], state["stage_epoch"], state["best"]
        self.bad_epochs, self.epochs = state["bad_epochs"], dict(state["epochs"])


def schedule_from_config(cfg: dict) -> StageSchedule:
    stages = cfg["training"]["stages"]
    return StageSchedule(
        [(name, int(cfg["stages"][name]["max_epochs"]), int(cfg["stages"][name]["patience"])) for name in stages]
    )


# -- data ------------------------------------------------------------------------------------------------


def prepare_caches(
    paths: Sequence[str | Path],
    cache_dir: str | Path,
    nlp,
    cfg: dict,
    progress: bool = True,
    gold_speakers: bool = True,
    paragraphs: bool = False,
):
    """One feature cache per corpus path under cache_dir (made when missing or stale); `gold_speakers`
    False featurizes the corpora as plain text (the dev sets: scored as a user's text comes);
    `paragraphs` lays each document out with a newline token before each of its paragraphs."""
    caches = []
    for path in paths:
        suffix = ("" if gold_speakers else "_plain") + ("_paragraphs" if paragraphs else "")
        out = Path(cache_dir) / (cache_name(path) + suffix)
        data = cfg["data"]
        infer_speakers = data.get("infer_speakers")
        if not cache_is_current(
            out,
            [path],
            nlp,
            data["max_dist"],
            data["max_dist_match"],
            data["lang"],
            gold_speakers,
            infer_speakers,
            paragraphs,
        ):
            meta = featurize_corpus(
                [path],
                out,
                nlp,
                max_dist=data["max_dist"],
                max_dist_match=data["max_dist_match"],
                lang=data["lang"],
                progress=progress,
                gold_speakers=gold_speakers,
                infer_speakers=infer_speakers,
                paragraphs=paragraphs,
            )
            print(
                f"featurized {path}: {meta['n_docs']} docs, {meta['n_mentions']} mentions, {meta['n_pairs']} pairs, "
                f"gold mention recall {meta['mention_recall']:.1f}%, precision {meta['mention_precision']:.1f}% "
                f"({meta['seconds']} s)",
                flush=True,
            )
        caches.append(FeatureCache.load(out))
    return caches


# -- export ----------------------------------------------------------------------------------------------


def export_model(
    model: CorefScorer,
    words: list,
    cfg: dict,
    pipeline: dict | None = None,
    training: dict | None = None,
    scores: dict | None = None,
) -> CorefModel:
    """The runtime model (CorefModel) of the current weights; the embedding may be stored float16."""
    s = model.sizes
    meta = base_meta(
        cfg["data"]["lang"],
        model.exported_tensor_width,
        s["embed_dim"],
        s["encoder_width"],
        s["single_hidden"],
        s["pair_hidden"],
        s["similarity_width"],
        s["bilinear_width"],
    )
    meta["pipeline"] = pipeline or {}
    meta["spacy_version"] = spacy.__version__
    meta["training"] = training or {}
    meta["scores"] = scores or {}
    if model.zero_groups:
        meta["ablation"] = list(model.zero_groups)
    weights = model.export_weights()
    dtype = cfg.get("export", {}).get("embed_dtype", "float32")
    if dtype == "float16":
        weights["embed"] = weights["embed"].astype("<f2")
    return CorefModel(meta, list(words), weights)


# -- trainer ---------------------------------------------------------------------------------------------


class Trainer:
    """Trains a CorefScorer on a training cache, evaluates on dev caches, checkpoints to out_dir."""

    def __init__(
        self,
        cfg: dict,
        train: FeatureCache,
        devs: dict,
        out_dir: str | Path,
        device: str = "cpu",
        pipeline: dict | None = None,
        progress: bool = True,
    ):
        self.cfg = cfg
        self.train_cache = train
        self.devs = devs
        self.out_dir = Path(out_dir)
        self.device = torch.device(device)
        self.progress = progress
        self.pipeline = pipeline or train.meta.get("pipeline", {})
        data, m, t = cfg["data"], cfg["model"], cfg["training"]
        self.vocab = vocabulary_from_config(build_vocabulary(train, data["min_word_count"], data["max_words"]), m)
        self.words = self.vocab.words
        self.seed = int(t["seed"])
        torch.manual_seed(self.seed)
        self.model = CorefScorer.from_config(
            m, len(self.words) + 2, train.meta["tensor_width"], n_frozen=self.vocab.n_frozen
        )
        self.model.set_pretrained(self.vocab.pretrained_rows, self.vocab.pretrained)
        if m.get("embed_from"):
            self.model.fix_embedding_table(embedding_table_of(m["embed_from"], self.words))
        self.model.to(self.device)
        self.train_rows = word_rows_for(train, self.words)
        self.dev_rows = {name: word_rows_for(cache, self.words) for name, cache in devs.items()}
        keep = None
        if not t.get("far_person_pairs", True):  # train without them; the dev sets and the runtime keep them
            keep = ~far_person_pairs(train, int(data["max_dist"]))
        self.batcher = Batcher(train, self.train_rows, int(t["max_pairs"]), seed=self.seed, keep=keep)
        self.schedule = schedule_from_config(cfg)
        self.rescaling = RescalingSettings.from_costs(cfg["costs"])
        # distillation (`training.distill_from`, a model path; "" off): the teacher's scores of every
        # training mention and pair, once, for a second target beside the gold one (training/distill.py)
        self.distill_weight, self.distill_temperature = distill_settings(t)
        self.teacher = load_teacher(t["distill_from"], train) if t.get("distill_from") else None
        self.optimizer = self._optimizer()
        # an exponential moving average of the weights is what gets evaluated and exported (0: off):
        # it smooths the epoch-to-epoch noise of the dev score on small corpora
        self.ema_decay = float(t.get("ema_decay") or 0.0)
        self.ema = self._new_ema()
        self.epoch = 0
        self.stage_best: dict | None = None
        self.best: dict = {"score": float("-inf"), "state": None, "epoch": None, "stage": None, "dev": None}
        self.seconds = 0.0

    def _optimizer(self):
        if self.schedule.done:
            return None
        stage = self.cfg["stages"][self.schedule.name]
        try:  # the fused kernel: one pass per parameter instead of a dozen (matters on CPU)
            return torch.optim.Adam(
                self.model.parameters(), lr=float(stage["lr"]), weight_decay=float(stage["weight_decay"]), fused=True
            )
        except (RuntimeError, TypeError):
            return torch.optim.Adam(
                self.model.parameters(), lr=float(stage["lr"]), weight_decay=float(stage["weight_decay"])
            )

    def _new_ema(self):
        if not self.ema_decay:
            return None
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        return AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(self.ema_decay), use_buffers=False)

    @property
    def evaluated_model(self) -> CorefScorer:
        """The weights that are evaluated, kept and exported: the moving average, else the model."""
        return self.ema.module if self.ema is not None else self.model

    def _set_weights(self, state: dict) -> None:
        """Load evaluated weights into the model (and restart the average from them)."""
        self.model.load_state_dict(state)
        self.ema = self._new_ema()

    # -- one epoch ------------------------------------------------------------------------------------------
    def train_epoch(self) -> dict:
        """One pass over the (shuffled) batches with the current stage's loss. RETURNS mean loss and counts."""
        loss_fn = LOSSES[self.schedule.name]
        costs = self.cfg["costs"]
        limit = int(self.cfg["training"].get("max_batches_per_epoch") or 0)
        clip = float(self.cfg["training"].get("grad_clip") or 0)
        use_bf16 = self.device.type == "cuda" and bool(self.cfg["training"].get("bf16", False))
        action_costs = self._action_costs() if self.schedule.name == "ranking" else None
        torch.manual_seed(self.seed * 100003 + self.epoch)  # dropout masks: reproducible on resume
        self.model.train()
        total, n_mentions, n_batches = 0.0, 0, 0
        batches = self.batcher.epoch(self.epoch)
        n_total = min(len(self.batcher), limit) if limit else len(self.batcher)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=n_total, desc=f"epoch {self.epoch + 1} {self.schedule.name}", unit="batch", leave=False)
        for batch in batches:
            if limit and n_batches >= limit:
                break
            inputs, gold = self.batcher.tensors(batch, self.device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_bf16):
                scores = self.model(**inputs)
            extra = (
                {} if action_costs is None else {"delta": self.batcher.per_column(batch, *action_costs, self.device)}
            )
            weights = self.batcher.mention_weights(batch, self.device)
            loss = loss_fn(scores.float(), gold, costs, weights=weights, **extra)
            if self.teacher is not None:
                teacher = self.batcher.per_column(batch, *self.teacher, self.device)
                loss = loss + self.distill_weight * _mean_over_mentions(
                    distillation_loss(scores.float(), teacher, gold, self.distill_temperature), weights
                )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            self.optimizer.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            total += loss.item() * len(batch.ment)
            n_mentions += len(batch.ment)
            n_batches += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total / max(n_mentions, 1):.4f}")
        if bar is not None:
            bar.close()
        decay = float(self.cfg["stages"][self.schedule.name].get("lr_decay", 1.0))
        for group in self.optimizer.param_groups:  # per-epoch exponential decay of the stage's rate
            group["lr"] *= decay
        return {"loss": total / max(n_mentions, 1), "batches": n_batches, "mentions": n_mentions}

    def _action_costs(self) -> tuple[numpy.ndarray, numpy.ndarray] | None:
        """The epoch's reward-rescaled costs (`costs.rescaled` > 0, `RescalingSettings`), from the evaluated
        weights' own decisions on the training documents; None: the fixed costs."""
        rescaling, t = self.rescaling, self.cfg["training"]
        if rescaling.share <= 0 or self.epoch < rescaling.from_epoch:
            return None
        self.evaluated_model.eval()
        offset = greedyness_offset(float(t["greedyness"]))
        links = cached_links(
            self.train_cache, self.train_rows, self.exported(), offset, False, t.get("require_agreement"), False
        )
        antecedents = [numpy.asarray(linker.antecedents) for _, linker, _ in links]
        return blended_costs(
            self.train_cache,
            antecedents,
            self.cfg["costs"],
            rescaling.share,
            bool(t["drop_gold_singletons"]),
            by_kind=rescaling.by_kind,
            b3=rescaling.b3,
        )

    # -- evaluation --------------------------------------------------------------------------------------
    def exported(self, scores: dict | None = None) -> CorefModel:
        training = {
            "train": self.train_cache.meta["paths"],
            "dev": [p for c in self.devs.values() for p in c.meta["paths"]],
            "epochs": dict(self.schedule.epochs),
            "best_epoch": self.best["epoch"],
            "best_stage": self.best["stage"],
            "select": self.cfg["training"]["select"],
            "seconds": round(self.seconds, 1),
            "date": datetime.date.today().isoformat(),
            "mention_recall": {
                "train": round(self.train_cache.meta["mention_recall"], 2),
                **{n: round(c.meta["mention_recall"], 2) for n, c in self.devs.items()},
            },
            "config": self.cfg,
        }
        if self.vocab.source:
            training["vectors"] = self.vocab.summary()
        return export_model(self.evaluated_model, self.words, self.cfg, self.pipeline, training, scores)

    def evaluate(self) -> dict:
        """Dev scores of the current weights, through the exported model and the runtime's linking."""
        self.evaluated_model.eval()
        t = self.cfg["training"]
        model = self.exported()
        out = {}
        for name, cache in self.devs.items():
            predictions = predict_cached(
                cache,
                self.dev_rows[name],
                model,
                greedyness=float(t["greedyness"]),
                blacklist=bool(t["blacklist"]),
                require_agreement=t.get("require_agreement"),
            )
            out[name] = score_cache(cache, predictions, drop_gold_singletons=bool(t["drop_gold_singletons"]))
        return out

    def select_score(self, dev: dict) -> float:
        if not dev:
            return 0.0
        if self.cfg["training"]["select"] == "mean":
            return float(numpy.mean([s["conll_f1"] for s in dev.values()]))
        return float(next(iter(dev.values()))["conll_f1"])

    # -- checkpoints -----------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "optimizer": self.optimizer.state_dict() if self.optimizer is not None else None,
            "schedule": self.schedule.state_dict(),
            "stage_best": self.stage_best,
            "best": self.best,
            "words": self.words,
            "seconds": self.seconds,
            "config": self.cfg,
        }

    def save_checkpoint(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.out_dir / (CHECKPOINT + ".tmp")
        torch.save(self.state(), tmp)
        os.replace(tmp, self.out_dir / CHECKPOINT)

    def load_checkpoint(self, path: str | Path, state: dict | None = None) -> None:
        """Restore a checkpoint (`state`: its contents, when the caller has read it already)."""
        if state is None:
            state = read_checkpoint(path, self.device)
        if state["words"] != self.words:
            raise ValueError(f"{path}: the checkpoint's vocabulary differs from this training data's")
        self.model.load_state_dict(state["model"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.schedule.load_state_dict(state["schedule"])
        self.optimizer = self._optimizer()
        if state["optimizer"] is not None and self.optimizer is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.stage_best, self.best = state["epoch"], state["stage_best"], state["best"]
        self.seconds = state.get("seconds", 0.0)

    # -- the schedule ------------------------------------------------------------------------------------
    def fit(self, stop_after: int | None = None) -> CorefModel | None:
        """Train every stage (from the checkpoint's position if resumed); RETURNS the best model, exported.

        stop_after: stop (checkpoint saved, RETURNS None) after this many epochs of this call.
        """
        log_path = self.out_dir / LOG
        self.out_dir.mkdir(parents=True, exist_ok=True)
        epochs_run = 0
        while not self.schedule.done:
            if stop_after is not None and epochs_run >= stop_after:
                print(f"stopped after {epochs_run} epochs: continue with --resume", flush=True)
                return None
            epochs_run += 1
            stage = self.schedule.name
            start = time.time()
            stats = self.train_epoch()
            train_seconds = time.time() - start
            dev = self.evaluate()
            score = self.select_score(dev)
            improved, ended = self.schedule.update(score)
            self.epoch += 1
            self.seconds += time.time() - start
            if improved:
                self.stage_best = copy.deepcopy(self.evaluated_model.state_dict())
            if score > self.best["score"]:
                self.best = {
                    "score": score,
                    "state": copy.deepcopy(self.evaluated_model.state_dict()),
                    "epoch": self.epoch,
                    "stage": stage,
                    "dev": dev,
                }
            record = {
                "epoch": self.epoch,
                "stage": stage,
                "stage_epoch": self.schedule.epochs[stage],
                **stats,
                "train_seconds": round(train_seconds, 1),
                "seconds": round(time.time() - start, 1),
                "select": round(score, 3),
                "improved": improved,
                "dev": {name: _short(s) for name, s in dev.items()},
            }
            with open(log_path, "a") as log:
                log.write(json.dumps(record) + "\n")
            dev_text = " ".join(f"{name} {s['conll_f1']:.2f}" for name, s in dev.items())
            print(
                f"epoch {self.epoch} [{stage}] loss {stats['loss']:.4f} dev CoNLL F1 {dev_text} "
                f"({train_seconds:.1f} s train, {record['seconds']} s total){' *' if improved else ''}",
                flush=True,
            )
            if ended:
                if self.stage_best is not None:
                    self._set_weights(self.stage_best)
                self.stage_best = None
                self.optimizer = self._optimizer()
                if not self.schedule.done:
                    print(
                        f"stage {stage} ended after {self.schedule.epochs[stage]} epochs; next: {self.schedule.name}",
                        flush=True,
                    )
            self.save_checkpoint()
        if self.best["state"] is not None:
            self._set_weights(self.best["state"])
        return self.exported(scores={"dev": self.best["dev"] or {}, "select": self.best["score"]})


def _short(scores: dict) -> dict:
    return {
        "conll_f1": round(scores["conll_f1"], 3),
        **{m: {k: round(v, 3) for k, v in scores[m].items()} for m in ("muc", "b3", "ceafe", "lea")},
    }


def read_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict:
    """A trainer checkpoint (the trainer's own file: torch.load never runs at inference)."""
    return torch.load(path, map_location=device, weights_only=False)


def check_export_targets(export_to: Sequence[str | Path], force: bool = False) -> None:
    """Refuse to export into the imported neuralcoref package's `models/` unless `force`.

    Under an editable install that folder is the shipped models, which the component loads: a trial run
    exported there would silently replace them. Checked before training, so a refusal costs nothing.
    """
    import neuralcoref

    shipped = (Path(neuralcoref.__file__).parent / "models").resolve()
    for target in export_to:
        resolved = Path(target).resolve()
        if not force and (resolved == shipped or shipped in resolved.parents):
            raise ValueError(
                f"{target} is inside the installed neuralcoref package ({shipped}): writing there would replace the "
                f"model the component loads. Export elsewhere and copy the model there once its score is known, "
                f"or pass --force to write it anyway."
            )


def attach_fallback(model_path: str | Path, fallback_path: str | Path | None, out: str | Path) -> CorefModel:
    """Write to `out` the model at `model_path` with the model at `fallback_path` (trained with
    `model.zero_groups=["tensor"]`: no doc.tensor input) stored inside it as its fallback, which the
    component uses for Docs whose tensor the model cannot read (`CorefModel.fallback`); None removes it."""
    model = CorefModel.from_disk(model_path)
    fallback = CorefModel.from_disk(fallback_path) if fallback_path is not None else None
    combined = model.with_fallback(fallback)
    combined.to_disk(out)
    return combined


def embedding_table_of(model_path: str | Path, words: list) -> numpy.ndarray:
    """The embedding table of the model at `model_path` (`model.embed_from`), which must have this vocabulary."""
    source = CorefModel.from_disk(model_path)
    if source.words != list(words):
        raise ValueError(
            f"model.embed_from {str(model_path)!r}: its vocabulary ({len(source.words)} words) is not this "
            f"training vocabulary ({len(words)} words); train on the same data and vocabulary settings"
        )
    return numpy.asarray(source.weights["embed"], dtype="float32")


def partial_document_mentions(cache: FeatureCache) -> numpy.ndarray:
    """bool [n]: whether each cached mention is in a partly annotated document (GAP, `GoldDoc.partial`),
    which is one with an untrained mention or an unknown pair (`featurize_corpus.partial_labels`)."""
    arrays = cache.arrays
    doc_mentions, doc_pairs = numpy.asarray(arrays["doc_mentions"]), numpy.asarray(arrays["doc_pairs"])

    def per_document(flags: numpy.ndarray, offsets: numpy.ndarray) -> numpy.ndarray:
        counts = numpy.concatenate([[0], numpy.cumsum(flags)])
        return counts[offsets[1:]] - counts[offsets[:-1]]

    untrained = per_document(~numpy.asarray(arrays["mention_trained"], dtype=bool), doc_mentions)
    unknown = per_document(~numpy.asarray(arrays["pair_known"], dtype=bool), doc_pairs)
    return numpy.repeat((untrained > 0) | (unknown > 0), numpy.diff(doc_mentions))


def checked_partial_weight(data: dict) -> float:
    """`data.partial_weight` (default 1: partly annotated documents weigh as much as the others), checked
    before anything is featurized."""
    value = data.get("partial_weight", 1.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"data.partial_weight must be a number >= 0, got {value!r}")
    return float(value)


def weigh_partial_documents(cache: FeatureCache, partial_weight: float) -> FeatureCache:
    """The loss weight of the mentions of partly annotated documents (`data.partial_weight`, checked),
    as arrays["mention_weight"] (`Batcher.mention_weights`); the cache unchanged when it is 1."""
    if partial_weight == 1.0:
        return cache
    weights = numpy.where(partial_document_mentions(cache), numpy.float32(partial_weight), numpy.float32(1.0))
    cache.arrays = dict(cache.arrays, mention_weight=weights.astype("float32"))
    return cache


def train(
    train_paths: Sequence[str | Path],
    dev_paths: Sequence[str | Path],
    out_dir: str | Path,
    config: str | Path = DEFAULT_CONFIG,
    overrides: dict | None = None,
    cache_dir: str | Path | None = None,
    resume: bool = False,
    device: str = "cpu",
    export_to: Sequence[str | Path] = (),
    nlp=None,
    progress: bool = True,
    stop_after: int | None = None,
    force: bool = False,
) -> CorefModel | None:
    """Featurize (cached), train every stage, export the best model to out_dir/model (and export_to).

    stop_after: stop after this many epochs (checkpointed; RETURNS None), to go on with `resume`.
    force: allow an `export_to` inside the installed package's `models/` (see `check_export_targets`).
    """
    check_export_targets(export_to, force)
    cfg = load_config(config, overrides)
    out_dir = Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir else out_dir / "cache"
    if nlp is None:
        nlp = load_pipeline(cfg["data"]["pipeline"], cfg["data"]["lang"])
    data = cfg["data"]
    partial_weight = checked_partial_weight(data)
    rescaling = RescalingSettings.from_costs(cfg["costs"])
    distill_settings(cfg["training"])  # refused before featurizing, as the teacher's path below
    teacher = cfg["training"].get("distill_from")
    if teacher and not Path(teacher).exists():
        raise FileNotFoundError(f"training.distill_from: no model at {teacher}")
    train_cache = weigh_partial_documents(
        FeatureCache.concat(
            prepare_caches(
                train_paths,
                cache_dir,
                nlp,
                cfg,
                progress,
                gold_speakers=data.get("train_gold_speakers", True),
                paragraphs=data.get("train_paragraphs", False),
            )
        ),
        partial_weight,
    )
    if rescaling.share > 0:
        require_full_annotation(train_cache)
    devs = {}
    for path, cache in zip(
        dev_paths,
        prepare_caches(dev_paths, cache_dir, nlp, cfg, progress, gold_speakers=data.get("dev_gold_speakers", False)),
    ):
        devs[cache_name(path)] = cache
    state = None
    checkpoint = out_dir / CHECKPOINT
    if resume and checkpoint.exists():
        state = read_checkpoint(checkpoint, device)
    elif not resume and (out_dir / LOG).exists():
        (out_dir / LOG).unlink()
    trainer = Trainer(cfg, train_cache, devs, out_dir, device=device, pipeline=pipeline_info(nlp), progress=progress)
    if state is not None:
        trainer.load_checkpoint(checkpoint, state)
        print(f"resumed from {checkpoint} after epoch {trainer.epoch}", flush=True)
    print(
        f"train: {train_cache.meta['n_docs']} docs, {train_cache.n_mentions} mentions, "
        f"{train_cache.meta['n_pairs']} pairs, {len(trainer.batcher)} batches; vocabulary {len(trainer.words)} words; "
        f"mention recall {train_cache.meta['mention_recall']:.1f}%",
        flush=True,
    )
    model = trainer.fit(stop_after=stop_after)
    if model is None:
        return None
    for target in [out_dir / "model", *export_to]:
        model.to_disk(target)
        print(f"exported {Path(target) / 'model.msgpack'}", flush=True)
    return model
