"""Lineage routes: manifest upload (multipart, parsed with the email package), graph by asset,
and the node list. The graph is built from the manifest's nodes, sources, exposures and
parent_map; the catalog sync registers the manifest's tables as assets.
"""

from __future__ import annotations

import json
from collections import deque
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from dbt_armor.emulator import seeding
from dbt_armor.emulator.routes.base import Request, Response, Router, asset_not_found, validation
from dbt_armor.emulator.routes.common import ok, paged
from dbt_armor.emulator.state import Record, iso

if TYPE_CHECKING:
    from dbt_armor.emulator.app import App

router = Router()
GRAPH_TYPES = ("source", "seed", "model", "snapshot", "exposure")


def _form(req: Request) -> dict[str, bytes]:
    """Fields of a multipart/form-data body (a JSON body counts as the file itself)."""
    ctype = req.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        return {"file": req.body}
    if not ctype.startswith("multipart/form-data"):
        raise validation("upload must be multipart/form-data with a 'file' field")
    head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg: Message = BytesParser(policy=HTTP).parsebytes(head + req.body)
    fields: dict[str, bytes] = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def _graph(manifest: dict[str, Any], ds: str) -> tuple[dict[str, Record], list[tuple[str, str]]]:
    """Nodes keyed by qualified name (named like the asset catalogue; a source wins over a
    seed or model that writes the same table) and de-duplicated parent -> child edges."""
    fold = str((manifest.get("metadata") or {}).get("adapter_type") or "duckdb") in ("duckdb", "")
    resolved = seeding.project_names(manifest, ds) or {}
    entries = list((manifest.get("sources") or {}).values())
    entries += list((manifest.get("nodes") or {}).values())
    entries += list((manifest.get("exposures") or {}).values())
    qn_of: dict[str, str] = {}
    nodes: dict[str, Record] = {}
    for n in entries:
        uid, kind = n.get("unique_id"), n.get("resource_type")
        if kind not in GRAPH_TYPES or not uid:
            continue
        if uid in resolved:
            parts = list(resolved[uid])
        elif kind == "exposure":
            parts = [ds, "exposures", str(n.get("name"))]
        else:
            ident = n.get("identifier") or n.get("alias") or n.get("name")
            parts = [ds, str(n.get("database") or ""), str(n.get("schema") or ""), str(ident)]
        qn = ".".join(p.lower() if fold and uid not in resolved else p for p in parts)
        qn_of[uid] = qn
        node = {"unique_id": uid, "qualified_name": qn, "name": n.get("name"), "asset_type": kind}
        nodes.setdefault(qn, node)
    edges = set()
    for child, parents in (manifest.get("parent_map") or {}).items():
        for parent in parents or []:
            if child in qn_of and parent in qn_of and qn_of[child] != qn_of[parent]:
                edges.add((qn_of[parent], qn_of[child]))
    return nodes, sorted(edges)


@router.route("POST", "assets/{asset_id}/lineage/upload")
def upload(app: App, req: Request, params: dict[str, str]) -> Response:
    found = app.state.resolve(params["asset_id"])
    if found is None:
        raise asset_not_found(params["asset_id"])
    ds = (
        found[1]
        if found[0] == "data_source"
        else app.state.data_sources[found[1]["data_source_id"]]
    )
    fields = _form(req)
    if "file" not in fields:
        raise validation("missing 'file' field (the dbt target/manifest.json)", field="file")
    try:
        manifest = json.loads(fields["file"])
        assert isinstance(manifest, dict) and isinstance(manifest.get("nodes"), dict)
    except (ValueError, AssertionError):
        raise validation("file is not a dbt manifest.json (JSON object with 'nodes')") from None
    sync = fields.get("sync_to_catalog", b"true").strip().lower() not in (b"false", b"0", b"no")
    nodes, edges = _graph(manifest, ds["name"])
    stats = {
        "nodes_created": 0,
        "nodes_updated": 0,
        "nodes_unchanged": 0,
        "edges_created": 0,
        "edges_updated": 0,
        "edges_unchanged": 0,
    }
    with app.state.mutate() as st:
        for node in nodes.values():
            key = node["qualified_name"]
            node = {**node, "id": st.name_uuid(f"lineage:{key}"), "data_source_id": ds["id"]}
            old = st.lineage_nodes.get(key)
            stats[_bump(old, node, "nodes")] += 1
            st.lineage_nodes[key] = node
        for src, dst in edges:
            edge = {
                "source": src,
                "target": dst,
                "edge_type": "data_flow",
                "confidence": 1.0,
                "relationship": "derives_from",
                "data_source_id": ds["id"],
            }
            old = st.lineage_edges.get(f"{src}->{dst}")
            stats[_bump(old, edge, "edges")] += 1
            st.lineage_edges[f"{src}->{dst}"] = edge
    job_id = None
    if sync:
        seeding.register_manifest(app.state, manifest, ds["name"])
        job_id = "job_" + app.state.new_uuid("job").replace("-", "")[:16]
        now = iso(app.state.now())
        job = {
            "job_id": job_id,
            "status": "pending",
            "workflow_name": "catalog_sync",
            "asset_id": ds["id"],
            "progress": 0,
            "error": None,
            "created_at": now,
            "ready_at": now,
            "completed_at": None,
        }
        with app.state.mutate() as st:
            st.jobs[job_id] = job
    meta = manifest.get("metadata") or {}
    return ok(
        {
            "asset_id": ds["id"],
            "sync_stats": stats,
            "manifest_metadata": {
                "generated_at": meta.get("generated_at"),
                "dbt_version": meta.get("dbt_version"),
                "project_name": meta.get("project_name") or meta.get("project_id"),
            },
            "catalog_sync_job_id": job_id,
        }
    )


def _bump(old: Record | None, new: Record, kind: str) -> str:
    if old is None:
        return f"{kind}_created"
    return f"{kind}_unchanged" if old == new else f"{kind}_updated"


def _node_out(app: App, node: Record) -> Record:
    return {
        "id": node["id"],
        "asset_id": node["id"],
        "qualified_name": node["qualified_name"],
        "name": node.get("name") or node["qualified_name"].split(".")[-1],
        "asset_type": node.get("asset_type", "table"),
        "source_type": "duckdb",
        "dbt_unique_id": node.get("unique_id"),
    }


def _root(app: App, ident: str) -> Record:
    found = app.state.resolve(ident)
    key = found[1]["qualified_name"].lower() if found else ident.lower()
    node = app.state.lineage_nodes.get(key)
    if node is None:
        for n in app.state.lineage_nodes.values():
            if n["id"] == ident or n.get("unique_id") == ident:
                return dict(n)
        if found is None:
            raise asset_not_found(ident)
        rec = found[1]
        return {
            "id": rec["id"],
            "qualified_name": rec["qualified_name"],
            "name": rec["name"],
            "asset_type": rec.get("asset_type", "table"),
        }
    return dict(node)


def _walk(app: App, start: str, depth: int, upstream: bool) -> tuple[list[Record], list[Record]]:
    adj: dict[str, list[Record]] = {}
    for e in app.state.lineage_edges.values():
        adj.setdefault(e["target"] if upstream else e["source"], []).append(e)
    seen, nodes, edges = {start}, [], []
    queue = deque([(start, 0)])
    while queue:
        qn, d = queue.popleft()
        if d >= depth:
            continue
        for e in adj.get(qn, []):
            nxt = e["source"] if upstream else e["target"]
            edges.append({k: e[k] for k in ("source", "target", "edge_type", "confidence")})
            if nxt not in seen:
                seen.add(nxt)
                node = app.state.lineage_nodes.get(nxt) or {"id": "", "qualified_name": nxt}
                nodes.append(
                    {**_node_out(app, node), "depth": d + 1, "relationship": e["relationship"]}
                )
                queue.append((nxt, d + 1))
    return nodes, edges


@router.route("GET", "sdk/lineage/{asset_id}")
def get_lineage(app: App, req: Request, params: dict[str, str]) -> Response:
    direction = req.query.get("direction", "both")
    if direction not in ("both", "upstream", "downstream"):
        raise validation("direction must be both, upstream or downstream", field="direction")
    depth = req.qint("depth", 1)
    if not 1 <= depth <= 5:
        raise validation("depth must be between 1 and 5", field="depth")
    with app.state.lock:
        root = _root(app, params["asset_id"])
        qn = root["qualified_name"].lower()
        up, up_e = _walk(app, qn, depth, True) if direction != "downstream" else ([], [])
        down, down_e = _walk(app, qn, depth, False) if direction != "upstream" else ([], [])
    return ok(
        {
            "root": _node_out(app, root),
            "asset_id": root["id"],
            "qualified_name": root["qualified_name"],
            "upstream": up,
            "downstream": down,
            "edges": up_e + down_e,
        }
    )


@router.route("GET", "sdk/lineage")
def list_lineage(app: App, req: Request, _: dict[str, str]) -> Response:
    with app.state.lock:
        ups: dict[str, int] = {}
        downs: dict[str, int] = {}
        for e in app.state.lineage_edges.values():
            ups[e["target"]] = ups.get(e["target"], 0) + 1
            downs[e["source"]] = downs.get(e["source"], 0) + 1
        items = [
            {
                **_node_out(app, n),
                "upstream_count": ups.get(qn, 0),
                "downstream_count": downs.get(qn, 0),
            }
            for qn, n in sorted(app.state.lineage_nodes.items())
        ]
    src = (req.query.get("source") or "").lower()
    if src:
        items = [i for i in items if i["qualified_name"].split(".")[0] == src]
    if req.query.get("asset_id"):
        items = [
            i
            for i in items
            if i["qualified_name"]
            .lower()
            .startswith(_root(app, req.query["asset_id"])["qualified_name"].lower())
        ]
    for flag, key in (("has_upstream", "upstream_count"), ("has_downstream", "downstream_count")):
        want = req.qbool(flag)
        if want is not None:
            items = [i for i in items if (i[key] > 0) == want]
    return paged(app, req, items, "data")
