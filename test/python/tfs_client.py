#!/usr/bin/env python3
"""An independent TensorFlow Serving gRPC client (Python grpcio, not written against inferd's code).

Compiles the project's .proto files with grpc_tools.protoc into a temporary folder, then calls Predict (a float
input of shape [1,1] by name, as in the TensorFlow Serving tutorials), Predict on an unknown model (error path)
and GetModelStatus, and prints one JSON object with what it received.

Usage: tfs_client.py --target 127.0.0.1:8500 --proto-root <repo>/proto --model default --input x --value 2.0
"""
import argparse
import glob
import importlib
import json
import os
import sys
import tempfile

import grpc
import grpc_tools
from grpc_tools import protoc


def compile_protos(proto_root, out_dir):
    files = sorted(glob.glob(os.path.join(proto_root, "tensorflow_serving", "**", "*.proto"), recursive=True))
    files += sorted(glob.glob(os.path.join(proto_root, "tensorflow", "core", "**", "*.proto"), recursive=True))
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = ["protoc", "-I" + proto_root, "-I" + well_known, "--python_out=" + out_dir, "--grpc_python_out=" + out_dir]
    rc = protoc.main(args + [os.path.relpath(f, proto_root) for f in files])
    if rc != 0:
        raise SystemExit("protoc failed with exit code %d" % rc)
    sys.path.insert(0, out_dir)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--proto-root", required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--input", default="x")
    parser.add_argument("--value", type=float, default=2.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out_dir:
        compile_protos(args.proto_root, out_dir)
        predict_pb2 = importlib.import_module("tensorflow_serving.apis.predict_pb2")
        status_pb2 = importlib.import_module("tensorflow_serving.apis.get_model_status_pb2")
        prediction_grpc = importlib.import_module("tensorflow_serving.apis.prediction_service_pb2_grpc")
        model_grpc = importlib.import_module("tensorflow_serving.apis.model_service_pb2_grpc")
        types_pb2 = importlib.import_module("tensorflow.core.framework.types_pb2")

        channel = grpc.insecure_channel(args.target)
        stub = prediction_grpc.PredictionServiceStub(channel)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = args.model
        tensor = request.inputs[args.input]
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.tensor_shape.dim.add().size = 1
        tensor.tensor_shape.dim.add().size = 1
        tensor.float_val.append(args.value)
        response = stub.Predict(request, timeout=10.0)
        outputs = {}
        for alias, proto in response.outputs.items():
            outputs[alias] = {
                "dtype": types_pb2.DataType.Name(proto.dtype),
                "shape": [d.size for d in proto.tensor_shape.dim],
                "float_val": list(proto.float_val),
            }

        bad = predict_pb2.PredictRequest()
        bad.CopyFrom(request)
        bad.model_spec.name = "no_such_model"
        error = None
        try:
            stub.Predict(bad, timeout=10.0)
        except grpc.RpcError as e:
            error = {"code": e.code().name, "details": e.details()}

        status_request = status_pb2.GetModelStatusRequest()
        status_request.model_spec.name = args.model
        status = model_grpc.ModelServiceStub(channel).GetModelStatus(status_request, timeout=10.0)
        channel.close()

        print(json.dumps({
            "outputs": outputs,
            "model_spec": {
                "name": response.model_spec.name,
                "version": response.model_spec.version.value,
                "signature_name": response.model_spec.signature_name,
            },
            "error": error,
            "status": [
                {
                    "version": s.version,
                    "state": status_pb2.ModelVersionStatus.State.Name(s.state),
                    "error_code": s.status.error_code,
                    "error_message": s.status.error_message,
                }
                for s in status.model_version_status
            ],
        }))


if __name__ == "__main__":
    main()
