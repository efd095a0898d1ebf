"""Test harness: validates an ONNX file with the onnx package's checker (full check: includes shape inference) and
prints a JSON summary decoded by the reference protobuf implementation, so tests can verify what the C# writer wrote.

    /usr/bin/python3 check_model.py model.onnx [reserialized.bin]

With a second argument the parsed model is serialized again there (protobuf writes fields in number order), so a
test can compare bytes with what the C# writer produced.
Exit codes: 0 valid (summary on stdout), 1 rejected by the checker (reason on stderr), 3 the onnx package is missing.
"""
import json
import sys

try:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
except ImportError as e:
    sys.stderr.write(f"check_model.py: cannot import onnx/numpy ({e}); install Debian's python3-onnx (scripts/install-deps.sh)\n")
    sys.exit(3)


def dims(value_info):
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]


def plain(v):
    if isinstance(v, onnx.TensorProto):
        a = numpy_helper.to_array(v)
        return {"dims": list(v.dims), "data_type": v.data_type, "values": a.reshape(-1).tolist()}
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (np.generic,)):
        return v.item()
    return v


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: check_model.py model.onnx [reserialized.bin]\n")
        sys.exit(2)
    model = onnx.load(sys.argv[1])
    if len(sys.argv) == 3:
        with open(sys.argv[2], "wb") as f:
            f.write(model.SerializeToString())
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # ValidationError, InferenceError
        sys.stderr.write(f"check_model.py: {type(e).__name__}: {e}\n")
        sys.exit(1)
    g = model.graph
    summary = {
        "onnx_version": onnx.__version__,
        "ir_version": model.ir_version,
        "opset_import": {o.domain: o.version for o in model.opset_import},
        "producer_name": model.producer_name,
        "producer_version": model.producer_version,
        "metadata": {p.key: p.value for p in model.metadata_props},
        "graph_name": g.name,
        "inputs": [{"name": v.name, "elem_type": v.type.tensor_type.elem_type, "dims": dims(v)} for v in g.input],
        "outputs": [{"name": v.name, "elem_type": v.type.tensor_type.elem_type, "dims": dims(v)} for v in g.output],
        "initializers": {t.name: {"dims": list(t.dims), "data_type": t.data_type} for t in g.initializer},
        "nodes": [
            {
                "op_type": n.op_type,
                "inputs": list(n.input),
                "outputs": list(n.output),
                "attributes": {a.name: plain(helper.get_attribute_value(a)) for a in n.attribute},
            }
            for n in g.node
        ],
    }
    json.dump(summary, sys.stdout)


main()
