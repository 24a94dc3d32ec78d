"""The Pulumi program's resource graph, from Pulumi's own mocks (no CLI, no cloud).

``pulumi.runtime.set_mocks`` replaces the engine with an in-process monitor; every
resource the program registers reaches ``MockMonitor.RegisterResource`` with the same
request the real engine would get: type, logical name, inputs, parent, dependencies,
import id, protect, retain-on-delete, ignore-changes. ``RecordingMonitor`` keeps those
requests; that is what ``aigov plan --engine pulumi --offline`` prints and what the tests
compare with the spec.

Ids the mocks hand back are references (``${ou:AI.id}``), or the import id for an
adopted resource, so an input such as ``parentId`` reads as the resource it points at.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from aigov.deploy.program import TYPES, Imports, build, export_outputs, format_urn
from aigov.policy.bundle import Bundle
from aigov.policy.render import RenderedPolicy
from aigov.spec.model import Spec

PROJECT = "aigov"
STACK = "offline"


@dataclass(frozen=True)
class Node:
    """One resource as Pulumi would register it."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    import_id: str | None = None
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: tuple[str, ...] = ()
    urn: str = ""


@dataclass
class ResourceGraph:
    nodes: list[Node] = field(default_factory=list)

    def by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes:
            short = n.type.rsplit(":", 1)[-1]
            out[short] = out.get(short, 0) + 1
        return out

    def to_dicts(self) -> list[dict[str, Any]]:
        return [{**asdict(n), "dependencies": list(n.dependencies),
                 "ignore_changes": list(n.ignore_changes)} for n in self.nodes]

    def to_json(self) -> str:
        return json.dumps(self.to_dicts(), indent=2, sort_keys=True)

    def rows(self) -> list[dict[str, str]]:
        return [{"type": n.type.rsplit(":", 1)[-1], "name": n.name, "parent": n.parent or "",
                 "import": n.import_id or "", "depends on": ", ".join(n.dependencies)}
                for n in self.nodes]

    def table(self):  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["type", "name", "parent", "import",
                                                  "depends on"])

    def render(self) -> str:
        lines = [f"  {r['type']:<20} {r['name']}" + (f"  (import {r['import']})" if r["import"]
                                                      else "") for r in self.rows()]
        summary = ", ".join(f"{v} {k}" for k, v in sorted(self.counts().items()))
        return "\n".join([*lines, f"{len(self.nodes)} resources: {summary}"])


def _recording_monitor():
    from pulumi.runtime import mocks

    class RecordingMonitor(mocks.MockMonitor):
        """Pulumi's MockMonitor, keeping each registration request it answers."""

        def __init__(self, m: mocks.Mocks) -> None:
            super().__init__(m)
            self.requests: list[Any] = []

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                self.requests.append(request)
            return response

    return RecordingMonitor


def _mocks():
    from pulumi.runtime import mocks

    class ReferenceMocks(mocks.Mocks):
        """Ids are the import id, else ``${name.id}``; an organization gets one root."""

        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict]:
            rid = args.resource_id or f"${{{args.name}.id}}"
            state = dict(args.inputs)
            if args.typ.endswith(":Organization"):
                state["roots"] = [{"id": f"${{{args.name}.roots[0].id}}"}]
            return rid, state

        def call(self, args: mocks.MockCallArgs) -> dict:
            return {}

    return ReferenceMocks()


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def resource_graph(spec: Spec | Bundle, rendered: Mapping[str, RenderedPolicy] | None = None,
                   imports: Imports | None = None, adopt_only: bool = False,
                   live_types: Iterable[str] = ()) -> ResourceGraph:
    """Run the program under Pulumi's mocks and return every registered resource (over
    a bundle's documents, or ``rendered`` / the spec rendered once here)."""

    def run() -> None:
        export_outputs(build(spec, rendered, imports=imports, adopt_only=adopt_only,
                             live_types=live_types))

    return capture(run)


def capture(program: Callable[[], Any], config: Mapping[str, str] | None = None) -> ResourceGraph:
    """Run any Pulumi program (with stack ``config``) under the recording mocks."""
    import pulumi
    from pulumi.runtime import mocks
    from pulumi.runtime.config import set_config
    from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

    monitor = _recording_monitor()(_mocks())
    mocks.set_mocks(_mocks(), project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    for key, value in (config or {}).items():
        set_config(key, value)

    # What pulumi.runtime.mocks.test does: run the program and wait for every RPC. The
    # SDK makes its RPCs on the loop's default executor and each worker thread opens an
    # event loop of its own; those are closed here, not left to the garbage collector at
    # interpreter exit (which prints "Exception ignored ... Invalid file descriptor").
    loops: list[asyncio.AbstractEventLoop] = []

    def worker_loop() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loops.append(loop)

    executor = ThreadPoolExecutor(thread_name_prefix="pulumi-mocks", initializer=worker_loop)
    _ensure_event_loop().set_default_executor(executor)
    try:
        mocks.SETTINGS.rpc_manager.clear()
        mocks.SETTINGS.outputs.clear()
        _sync_await(mocks.run_pulumi_func(
            lambda: _sync_await(pulumi.Output.from_input(program()).future())))
    finally:
        executor.shutdown(wait=True)
        for loop in loops:
            loop.close()

    nodes = []
    for req in monitor.requests:
        inputs = _plain(pulumi.runtime.rpc.deserialize_properties(req.object))
        nodes.append(Node(
            type=req.type, name=req.name, inputs=inputs,
            parent=_parent_name(req.parent),
            dependencies=tuple(sorted({_name_of(u) for u in req.dependencies})),
            import_id=req.importId or None, protect=bool(req.protect),
            retain_on_delete=bool(req.retainOnDelete),
            ignore_changes=tuple(req.ignoreChanges)))
    nodes = _with_urns(nodes)
    rank = {t: i for i, t in enumerate(TYPES.values())}
    nodes.sort(key=lambda n: (rank.get(n.type, len(rank)), n.name))
    return ResourceGraph(nodes)


def _with_urns(nodes: list[Node]) -> list[Node]:
    """Each node with the URN the engine gives it: the types of its Pulumi parents, then
    its own, joined by ``$`` (the root stack is not part of the chain). The mock monitor's
    own URNs keep only the parent's last type, so they are not used."""
    from dataclasses import replace

    by_name = {n.name: n for n in nodes}

    def chain(n: Node) -> list[str]:
        parent = by_name.get(n.parent) if n.parent else None
        return [*(chain(parent) if parent else []), n.type]

    return [replace(n, urn=format_urn(STACK, PROJECT, chain(n), n.name)) for n in nodes]


def _parent_name(urn: str) -> str | None:
    """Logical name of a parent URN; None for the stack itself (the implicit parent)."""
    if not urn:
        return None
    qualified_type = urn.rsplit("::", 2)[-2]
    return None if qualified_type.split("$")[-1] == "pulumi:pulumi:Stack" else _name_of(urn)


def _plain(value: Any) -> Any:
    """Inputs as plain JSON values (drop Pulumi's unknown sentinel and None)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
