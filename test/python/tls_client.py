#!/usr/bin/env python3
"""An independent TensorFlow Serving gRPC client over TLS (Python grpcio, not written against inferd's code).

Compiles the project's .proto files (as tfs_client.py does), then calls Predict (float [1,1] by name) once on a
channel built from the arguments: grpc.ssl_channel_credentials (server CA, optional client key and certificate),
an optional bearer token in the `authorization` metadata, or a plaintext channel. Prints one JSON object:
{"outputs": {...}} on success, {"error": {"code": ..., "details": ...}} on an RPC error.

Usage: tls_client.py --target localhost:8500 --proto-root <repo>/proto [--plaintext]
                     [--root-certs ca.pem] [--client-key k.pem --client-cert c.pem] [--token T]
"""
import argparse
import importlib
import json
import os
import sys
import tempfile

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfs_client import compile_protos  # noqa: E402


def read(path):
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--proto-root", required=True)
    parser.add_argument("--model", default="default")
    parser.add_argument("--plaintext", action="store_true")
    parser.add_argument("--root-certs")
    parser.add_argument("--client-key")
    parser.add_argument("--client-cert")
    parser.add_argument("--token")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out_dir:
        compile_protos(args.proto_root, out_dir)
        predict_pb2 = importlib.import_module("tensorflow_serving.apis.predict_pb2")
        prediction_grpc = importlib.import_module("tensorflow_serving.apis.prediction_service_pb2_grpc")
        types_pb2 = importlib.import_module("tensorflow.core.framework.types_pb2")

        if args.plaintext:
            channel = grpc.insecure_channel(args.target)
        else:
            creds = grpc.ssl_channel_credentials(
                root_certificates=read(args.root_certs),
                private_key=read(args.client_key),
                certificate_chain=read(args.client_cert),
            )
            channel = grpc.secure_channel(args.target, creds)
        stub = prediction_grpc.PredictionServiceStub(channel)
        request = predict_pb2.PredictRequest()
        request.model_spec.name = args.model
        tensor = request.inputs["x"]
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.tensor_shape.dim.add().size = 1
        tensor.tensor_shape.dim.add().size = 1
        tensor.float_val.append(2.0)
        metadata = [("authorization", "Bearer " + args.token)] if args.token else None
        try:
            response = stub.Predict(request, timeout=10.0, metadata=metadata)
            result = {"outputs": {k: list(v.float_val) for k, v in response.outputs.items()}}
        except grpc.RpcError as e:
            result = {"error": {"code": e.code().name, "details": e.details()}}
        channel.close()
        print(json.dumps(result))


if __name__ == "__main__":
    main()
