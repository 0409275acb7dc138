"""Runs inside a synthesis worker process: loads a Piper voice once, then speaks line after line
and levels each (so the player's own process never imports the loudness meter for speech).

Piper's models draw random noise (phoneme durations and the sound itself) from ONNX
RandomNormalLike nodes, so the same text never comes out the same twice. Every random node
is replaced by a slice of a fixed noise table, drawn once from a fixed seed: the same text,
voice and rate then always give the same samples, whichever worker speaks it and in what order.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from player import SAMPLE_RATE
from player.atomic import staged
from player.audio import trim_silence
from player.voices.base import RawClip

NOISE_SEED = 20261121
NOISE_TABLE_SIZE = 1 << 21
"""Noise values per random node: enough for about two minutes of speech in one sentence."""
NOISE_VERSION = 1
"""Bump when the noise table or how it is used changes (it is part of the cache key)."""
CHUNK_GAP_SECONDS = 0.25
"""Quiet between the pieces Piper speaks a line in (it splits at clause ends)."""

_voice: Any = None
_load_error: str | None = None
_threads: ThreadPoolExecutor | None = None


def deterministic_model(model_path: Path) -> bytes:
    """The voice model with every random node fed from a fixed noise table, serialized."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(model_path))
    graph = model.graph
    rng = np.random.default_rng(NOISE_SEED)
    nodes = []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        table = rng.standard_normal(NOISE_TABLE_SIZE).astype(np.float32)
        table = table * np.float32(attributes.get("scale", 1.0)) + np.float32(attributes.get("mean", 0.0))
        base = node.name or node.output[0]
        names = {part: f"{base}/fixed_{part}" for part in ("table", "shape", "count", "zero", "axis", "flat")}
        graph.initializer.extend([
            numpy_helper.from_array(table, names["table"]),
            numpy_helper.from_array(np.array([0], dtype=np.int64), names["zero"]),
            numpy_helper.from_array(np.array([0], dtype=np.int64), names["axis"]),
        ])
        # noise = Reshape(Slice(table, 0, prod(Shape(x))), Shape(x)): the first values of the
        # table in the shape of the input, so no output length is ever fixed in advance.
        nodes.extend([
            helper.make_node("Shape", [node.input[0]], [names["shape"]]),
            helper.make_node("ReduceProd", [names["shape"]], [names["count"]], keepdims=1),
            helper.make_node("Slice", [names["table"], names["zero"], names["count"], names["axis"]],
                             [names["flat"]]),
            helper.make_node("Reshape", [names["flat"], names["shape"]], [node.output[0]]),
        ])
        dtype = attributes.get("dtype", TensorProto.FLOAT)
        if dtype != TensorProto.FLOAT:
            raise ValueError(f"unexpected noise type {dtype} in {model_path.name}")
    del graph.node[:]
    graph.node.extend(nodes)
    return bytes(model.SerializeToString())


def load(model_path: str, config_path: str, threads: int = 1, prepared_path: str | None = None) -> None:
    """Load the voice for this worker; a failure is kept and reported by the first speak().

    With `threads` above 1, speak_many() speaks that many lines at once through the one
    session: ONNX Runtime runs are thread-safe and release the GIL, and Piper locks its
    phonemizer, so the cores are shared without a second copy of the model in memory.
    `prepared_path` caches the model with its fixed noise (see _session).
    """
    global _load_error, _threads
    threading.Thread(target=_exit_with_parent, name="parent watch", daemon=True).start()
    # The meter's first use (its filters' impulse response, tens of milliseconds) on a thread
    # while the model loads, so the first line is not levelled late.
    threading.Thread(target=_warm_meter, name="meter", daemon=True).start()
    if threads > 1:
        _threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="piper")
    try:
        _load(model_path, config_path, prepared_path)
    except Exception as error:  # any failure: a pool initializer that raises kills the pool unexplained
        _load_error = f"cannot load {Path(model_path).name}: {type(error).__name__}: {error}"


def _load(model_path: str, config_path: str, prepared_path: str | None) -> None:
    """Load the voice (one ONNX thread per run: the worker's threads share the cores)."""
    global _voice
    import json

    from piper import PiperVoice
    from piper.config import PiperConfig

    session = _session(Path(model_path), Path(prepared_path) if prepared_path else None)
    config = PiperConfig.from_dict(json.loads(Path(config_path).read_text(encoding="utf-8")))
    _voice = PiperVoice(config=config, session=session)


def _session(model: Path, prepared: Path | None) -> Any:
    """An ONNX Runtime session of the model with fixed noise, from the cached copy when there is one.

    The cached copy is the model as ONNX Runtime optimizes it (its portable, "extended" level),
    so a worker loads it with no optimizing at all: 0.2 s instead of 0.4 s on every worker start,
    the same samples (tests/test_piper_lean.py compares them with the model optimized at load).
    """
    import onnxruntime

    if prepared is not None and prepared.is_file():
        try:
            return _inference(prepared, onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL)
        except Exception:  # a damaged cache file: made again below
            prepared.unlink(missing_ok=True)
    data = deterministic_model(model)
    extended = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    if prepared is not None:
        try:
            prepared.parent.mkdir(parents=True, exist_ok=True)
            with staged(prepared) as temporary:
                session = _inference(data, extended, save_to=temporary)
            for earlier in prepared.parent.glob(f"{prepared.name.split('-')[0]}-*.onnx"):
                if earlier != prepared:  # a copy prepared by an earlier version: 80 MB nobody reads
                    earlier.unlink(missing_ok=True)
            return session
        except OSError:
            pass  # a cache that cannot be written only costs speed
    return _inference(data, extended)


def _inference(model: Path | bytes, level: Any, save_to: Path | None = None) -> Any:
    """An ONNX Runtime session on one thread a run (the worker's threads share the cores)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = level
    if save_to is not None:
        options.optimized_model_filepath = str(save_to)
    source = str(model) if isinstance(model, Path) else model
    return onnxruntime.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])


def _exit_with_parent() -> None:
    """End this worker as soon as the player's process has ended, however it ended.

    The pool shuts its workers down on a normal exit, but a player killed outright (SIGKILL, a
    closed terminal's SIGHUP) told them nothing: each waited forever for work, holding its voice
    model (about 300 MB), because it holds its own end of the queue's pipe and never sees EOF.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    parent.join()  # the end of a pipe only the parent writes to: readable once it has gone
    os._exit(0)


def _warm_meter() -> None:
    """Import and run the loudness meter once (a failure shows again, and is reported, at the first line)."""
    try:
        from player.voices.level import level_speech

        level_speech((0.1 * np.sin(np.arange(SAMPLE_RATE // 2) * 0.05)).astype(np.float32), SAMPLE_RATE)
    except Exception:
        return


def speak_many(lines: list[tuple[str, float]]) -> list[tuple[npt.NDArray[np.float32], int]]:
    """Several lines (text, length scale), spoken on the worker's threads and made timeline clips
    (at SAMPLE_RATE, trimmed, levelled, as Speaker would): results in order."""
    if _threads is None or len(lines) < 2:
        return [_timeline_clip(text, scale) for text, scale in lines]
    return list(_threads.map(lambda line: _timeline_clip(*line), lines))


def _timeline_clip(text: str, length_scale: float) -> tuple[npt.NDArray[np.float32], int]:
    """One line spoken and prepared here, in the worker, so the player's process does not level it."""
    samples, rate = speak(text, length_scale)
    try:
        from player.voices.speaker import timeline_clip

        return timeline_clip(RawClip(samples, rate)), SAMPLE_RATE
    except Exception as error:  # numpy's exceptions cross processes as text
        raise RuntimeError(f"levelling failed: {type(error).__name__}: {error}") from None


def speak(text: str, length_scale: float) -> tuple[npt.NDArray[np.float32], int]:
    """One line as mono float32 samples at the voice's rate; pieces joined by a short gap."""
    if _voice is None:
        raise RuntimeError(_load_error or "speak() before load()")
    try:
        return _speak(text, length_scale)
    except Exception as error:  # ONNX Runtime's own exception types do not cross processes
        raise RuntimeError(f"{type(error).__name__}: {error}") from None


def _speak(text: str, length_scale: float) -> tuple[npt.NDArray[np.float32], int]:
    """speak() without the error translation."""
    from piper import SynthesisConfig

    rate = int(_voice.config.sample_rate)
    settings = SynthesisConfig(length_scale=length_scale, normalize_audio=False)
    pieces = [trim_silence(np.asarray(chunk.audio_float_array, dtype=np.float32), rate)
              for chunk in _voice.synthesize(text, syn_config=settings)]
    pieces = [piece for piece in pieces if piece.size]
    if not pieces:
        return np.zeros(0, dtype=np.float32), rate
    gap = np.zeros(int(CHUNK_GAP_SECONDS * rate), dtype=np.float32)
    joined: list[npt.NDArray[np.float32]] = []
    for piece in pieces:
        if joined:
            joined.append(gap)
        joined.append(piece)
    return np.concatenate(joined), rate
