#!/usr/bin/env python3
"""An independent Open Inference Protocol gRPC client (Python grpcio), not written against inferd's code.

Generates stubs from the official open_inference_grpc.proto (kserve/open-inference-protocol) with
grpc_tools.protoc into a temporary folder, then calls ServerLive, ServerReady, ServerMetadata, ModelMetadata,
ModelReady, ModelInfer with typed contents (FP32 and INT64 and BYTES), ModelInfer with raw_input_contents for
every datatype (bytes packed here with struct, little-endian), and ModelInfer on an unknown model (error path);
prints one JSON object with what it received.

Usage: oip_client.py --target 127.0.0.1:8001 --proto <path>/open_inference_grpc.proto
"""
import argparse
import base64
import importlib
import json
import os
import struct
import sys
import tempfile

import grpc
from grpc_tools import protoc

# datatype -> (struct format of one element, samples); BYTES handled apart.
SAMPLES = {
    "BOOL": ("?", [True, False, False, True]),
    "UINT8": ("B", [0, 1, 254, 255]),
    "UINT16": ("H", [0, 1, 65534, 65535]),
    "UINT32": ("I", [0, 1, 4294967294, 4294967295]),
    "UINT64": ("Q", [0, 1, 2**64 - 1, 7]),
    "INT8": ("b", [-128, -1, 0, 127]),
    "INT16": ("h", [-32768, -1, 0, 32767]),
    "INT32": ("i", [-2147483648, -1, 0, 2147483647]),
    "INT64": ("q", [-(2**63), -1, 0, 2**63 - 1]),
    "FP16": ("e", [0.5, -2.0, 1024.0, 0.099975586]),
    "FP32": ("f", [1.5, -0.25, 3.4028234663852886e38, 0.1]),
    "FP64": ("d", [0.1, -1e300, 2.5, 3.141592653589793]),
    "BYTES": (None, [b"hello", b"", "w\u00f6rld".encode(), b"a b c"]),
}


def raw(datatype):
    fmt, values = SAMPLES[datatype]
    if fmt is None:
        return b"".join(struct.pack("<I", len(v)) + v for v in values)
    return struct.pack("<%d%s" % (len(values), fmt), *values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--proto", required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out_dir:
        folder, name = os.path.split(args.proto)
        rc = protoc.main(["protoc", "-I" + folder, "--python_out=" + out_dir, "--grpc_python_out=" + out_dir, name])
        if rc != 0:
            raise SystemExit("protoc failed with exit code %d" % rc)
        sys.path.insert(0, out_dir)
        module = os.path.splitext(name)[0]
        pb = importlib.import_module(module + "_pb2")
        pb_grpc = importlib.import_module(module + "_pb2_grpc")

        channel = grpc.insecure_channel(args.target)
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        out = {
            "live": stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live,
            "ready": stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready,
            "model_ready": stub.ModelReady(pb.ModelReadyRequest(name="half"), timeout=10).ready,
        }
        md = stub.ServerMetadata(pb.ServerMetadataRequest(), timeout=10)
        out["server"] = {"name": md.name, "version": md.version, "extensions": list(md.extensions)}
        mm = stub.ModelMetadata(pb.ModelMetadataRequest(name="half"), timeout=10)
        out["model"] = {
            "name": mm.name, "versions": list(mm.versions), "platform": mm.platform,
            "inputs": [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in mm.inputs],
        }

        # Typed contents: y = 0.5 x + 2 on FP32 [2, 1].
        req = pb.ModelInferRequest(model_name="half", id="py-typed")
        x = req.inputs.add(name="x", datatype="FP32", shape=[2, 1])
        x.contents.fp32_contents.extend([1.0, 4.0])
        res = stub.ModelInfer(req, timeout=10)
        out["typed"] = {
            "id": res.id, "model_version": res.model_version,
            "outputs": [{"name": o.name, "datatype": o.datatype, "shape": list(o.shape), "fp32": list(o.contents.fp32_contents)} for o in res.outputs],
        }

        # Raw contents: every datatype through the identity model.
        names = list(SAMPLES.keys())
        req = pb.ModelInferRequest(model_name="every", model_version="1", id="py-raw")
        for n in names:
            req.inputs.add(name="x_" + n, datatype=n, shape=[2, 2])
            req.raw_input_contents.append(raw(n))
        res = stub.ModelInfer(req, timeout=10)
        out["raw"] = {
            "id": res.id,
            "outputs": [{"name": o.name, "datatype": o.datatype, "shape": list(o.shape)} for o in res.outputs],
            "equal": [res.raw_output_contents[i] == raw(n) for i, n in enumerate(names)],
            "first_bytes": base64.b64encode(res.raw_output_contents[names.index("BYTES")]).decode(),
        }

        bad = pb.ModelInferRequest(model_name="no_such_model")
        bad.inputs.add(name="x", datatype="FP32", shape=[1, 1]).contents.fp32_contents.append(1.0)
        try:
            stub.ModelInfer(bad, timeout=10)
            out["error"] = None
        except grpc.RpcError as e:
            out["error"] = {"code": e.code().name, "details": e.details()}
        channel.close()
        print(json.dumps(out))


if __name__ == "__main__":
    main()
