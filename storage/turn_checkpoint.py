"""A customer turn's checkpoint: read by the statement that opens the turn, saved by the one that closes it.

The turn hands its `TurnCheckpoint` to the graph run in the run's config, `configurable[TURN_KEY]`, rather than in a
context variable: the config is what LangGraph passes to the checkpointer's `aget_tuple`, `aput` and `aput_writes`
(langgraph/pregel/_loop.py: `checkpoint_config` is the run's config), so which run a read or a save belongs to is
explicit, cannot leak into another run started from the same task (greet or remark calling `aupdate_state` in the
same handler), and survives LangGraph running saves in tasks of its own. The key starts with "__", so
`get_checkpoint_metadata` (langgraph/checkpoint/base) never copies it into the checkpoint's metadata, and neither
does tracing metadata (langgraph/_internal/_config.py `_exclude_as_metadata`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, get_checkpoint_id
from langgraph.checkpoint.postgres.base import BasePostgresSaver

TURN_KEY = "__mirt_turn_checkpoint"

# A pending write as checkpoint_writes stores it: (task_id, task_path, idx, channel, type, blob).
WriteRow = tuple[str, str, int, str, str, bytes]


@dataclass
class CheckpointSave:
    """One checkpoint to save as its thread's only one (storage/checkpoint_sql.py `save_ctes`)."""
    thread_id: str
    namespace: str
    checkpoint_id: str
    parent_id: str | None
    checkpoint: dict[str, Any]  # without the values kept as blobs
    metadata: CheckpointMetadata
    blobs: dict[tuple[str, str], tuple[str, bytes | None]]  # (channel, version) -> (serde type, bytes)
    versions: dict[str, str]  # every channel's version in this checkpoint: the blobs it references

    def args(self, writes: Sequence[WriteRow] = ()) -> list[Any]:
        """The parameters of `save_ctes`, with the checkpoint's pending `writes`; only the blobs this checkpoint
        references."""
        blobs = [(channel, version, kind, blob) for (channel, version), (kind, blob) in self.blobs.items()
                 if self.versions.get(channel) == version]
        return [self.thread_id, self.namespace, self.checkpoint_id, self.parent_id, self.checkpoint, self.metadata,
                *columns(blobs, 4), list(self.versions), list(self.versions.values()), *columns(writes)]


def columns(rows: Sequence[Sequence[Any]], width: int = 6) -> list[list[Any]]:
    """Rows as `width` parallel lists (for unnest)."""
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def save_of(saver: BasePostgresSaver, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> CheckpointSave:
    """`checkpoint` as langgraph-checkpoint-postgres stores it: None, str, int, float and bool values inline in the
    checkpoint's row, the others as blobs of their channel's new version (`saver._dump_blobs`, its serde)."""
    configurable = config["configurable"]
    thread_id, namespace = str(configurable["thread_id"]), configurable["checkpoint_ns"]
    inline = dict(checkpoint["channel_values"])
    blobs = {k: inline.pop(k) for k, v in checkpoint["channel_values"].items()
             if not (v is None or isinstance(v, str | int | float | bool))}
    dumped = saver._dump_blobs(thread_id, namespace, blobs, {k: v for k, v in new_versions.items() if k in blobs})
    return CheckpointSave(thread_id, namespace, checkpoint["id"], configurable.get("checkpoint_id"),
                          {**checkpoint, "channel_values": inline}, metadata,
                          {(d[2], d[3]): (d[4], d[5]) for d in dumped},
                          {k: str(v) for k, v in checkpoint["channel_versions"].items()})


def writes_of(saver: BasePostgresSaver, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
              task_path: str) -> list[WriteRow]:
    """A task's writes as checkpoint_writes rows (`saver._dump_writes`: LangGraph's indexes, its serde)."""
    configurable = config["configurable"]
    return [row[3:] for row in saver._dump_writes(str(configurable["thread_id"]), configurable["checkpoint_ns"],
                                                  configurable["checkpoint_id"], task_id, task_path, writes)]


@dataclass
class TurnCheckpoint:
    """The checkpoint of one customer turn's run of the graph (thread = the chat): `row`, its latest checkpoint as
    the turn's opening read it (SELECT_SQL's columns; None: the chat has none yet), serves the run's read; the run's
    save and pending writes are kept here for the turn's closing statement (`save_args`). A turn that never closes
    saves nothing. Reads and saves of another thread or of a subgraph's namespace go to the database as usual."""
    thread_id: str
    row: Mapping[str, Any] | None
    save: CheckpointSave | None = None
    writes: dict[str, dict[tuple[str, int], WriteRow]] = field(default_factory=dict)  # by checkpoint id

    def owns(self, config: RunnableConfig) -> bool:
        configurable = config["configurable"]
        return str(configurable["thread_id"]) == self.thread_id and not configurable.get("checkpoint_ns")

    def serves(self, config: RunnableConfig) -> bool:
        """Whether `config` asks for what `row` is: the thread's latest checkpoint. The run reads it once, before
        it saves anything."""
        return self.owns(config) and not get_checkpoint_id(config)

    def keep(self, save: CheckpointSave) -> None:
        """The run saved a checkpoint; a later save in the same run replaces it, keeping the blobs both wrote."""
        if self.save is not None:
            save.blobs = {**self.save.blobs, **save.blobs}
        self.save = save

    def add_writes(self, checkpoint_id: str, rows: Sequence[WriteRow]) -> None:
        self.writes.setdefault(checkpoint_id, {}).update({(row[0], row[2]): row for row in rows})

    def save_args(self) -> list[Any] | None:
        """The parameters of `save_ctes` for what the run saved, or None when it saved nothing."""
        if self.save is None:
            return None
        return self.save.args(list(self.writes.get(self.save.checkpoint_id, {}).values()))
