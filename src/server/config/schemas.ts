/**
 * Message schemas of the TensorFlow Serving configuration protos that inferd reads, for the schema-guided
 * text-format parser and the JSON/YAML decoder. Field names and types follow tensorflow_serving/config/
 * (model_server_config.proto, file_system_storage_path_source.proto, logging_config.proto,
 * monitoring_config.proto) and servables/tensorflow/session_bundle_config.proto (BatchingParameters).
 * Only names and types matter here (text format and proto JSON never show field numbers).
 */
import type { FieldSchema, MessageSchema } from '../../core/textproto.ts';

const wrapper = (fullName: string, type: FieldSchema['type']): MessageSchema => ({
  fullName,
  fields: { value: { type } },
  wrapper: true,
});

/** google.protobuf.Int64Value. */
export const INT64_VALUE: MessageSchema = wrapper('google.protobuf.Int64Value', 'int64');
/** google.protobuf.StringValue. */
export const STRING_VALUE: MessageSchema = wrapper('google.protobuf.StringValue', 'string');
/** google.protobuf.BoolValue. */
export const BOOL_VALUE: MessageSchema = wrapper('google.protobuf.BoolValue', 'bool');

/** google.protobuf.Any (only so that custom_model_config parses and can then be refused clearly). */
export const ANY: MessageSchema = {
  fullName: 'google.protobuf.Any',
  fields: { type_url: { type: 'string' }, value: { type: 'bytes' } },
};

const POLICY = 'tensorflow.serving.FileSystemStoragePathSourceConfig.ServableVersionPolicy';

/** ServableVersionPolicy.Latest { uint32 num_versions }. */
export const LATEST_POLICY: MessageSchema = { fullName: `${POLICY}.Latest`, fields: { num_versions: { type: 'uint32' } } };
/** ServableVersionPolicy.All {}. */
export const ALL_POLICY: MessageSchema = { fullName: `${POLICY}.All`, fields: {} };
/** ServableVersionPolicy.Specific { repeated int64 versions }. */
export const SPECIFIC_POLICY: MessageSchema = {
  fullName: `${POLICY}.Specific`,
  fields: { versions: { type: 'int64', repeated: true } },
};

/** FileSystemStoragePathSourceConfig.ServableVersionPolicy (oneof policy_choice). */
export const SERVABLE_VERSION_POLICY: MessageSchema = {
  fullName: POLICY,
  fields: {
    latest: { type: 'message', message: () => LATEST_POLICY, oneof: 'policy_choice' },
    all: { type: 'message', message: () => ALL_POLICY, oneof: 'policy_choice' },
    specific: { type: 'message', message: () => SPECIFIC_POLICY, oneof: 'policy_choice' },
  },
};

/** LogCollectorConfig (accepted, not used by inferd). */
export const LOG_COLLECTOR_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.LogCollectorConfig',
  fields: { type: { type: 'string' }, filename_prefix: { type: 'string' } },
};
/** SamplingConfig (accepted, not used by inferd). */
export const SAMPLING_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.SamplingConfig',
  fields: { sampling_rate: { type: 'double' } },
};
/** LoggingConfig (request logging; accepted, not used by inferd). */
export const LOGGING_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.LoggingConfig',
  fields: {
    log_collector_config: { type: 'message', message: () => LOG_COLLECTOR_CONFIG },
    sampling_config: { type: 'message', message: () => SAMPLING_CONFIG },
  },
};

/** The map entry of ModelConfig.version_labels (map<string, int64>). */
export const VERSION_LABELS_ENTRY: MessageSchema = {
  fullName: 'tensorflow.serving.ModelConfig.VersionLabelsEntry',
  fields: { key: { type: 'string' }, value: { type: 'int64' } },
};

/** The deprecated ModelType enum (model_type = 3). */
export const MODEL_TYPE_VALUES = { MODEL_TYPE_UNSPECIFIED: 0, TENSORFLOW: 1, OTHER: 2 } as const;

/** tensorflow.serving.ModelConfig. */
export const MODEL_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.ModelConfig',
  fields: {
    name: { type: 'string' },
    base_path: { type: 'string' },
    model_type: { type: 'enum', enumValues: MODEL_TYPE_VALUES },
    model_platform: { type: 'string' },
    model_version_policy: { type: 'message', message: () => SERVABLE_VERSION_POLICY },
    version_labels: { type: 'message', repeated: true, map: true, message: () => VERSION_LABELS_ENTRY },
    logging_config: { type: 'message', message: () => LOGGING_CONFIG },
  },
};

/** tensorflow.serving.ModelConfigList. */
export const MODEL_CONFIG_LIST: MessageSchema = {
  fullName: 'tensorflow.serving.ModelConfigList',
  fields: { config: { type: 'message', repeated: true, message: () => MODEL_CONFIG } },
};

/** tensorflow.serving.ModelServerConfig (oneof config). */
export const MODEL_SERVER_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.ModelServerConfig',
  fields: {
    model_config_list: { type: 'message', message: () => MODEL_CONFIG_LIST, oneof: 'config' },
    custom_model_config: { type: 'message', message: () => ANY, oneof: 'config' },
  },
};

/** tensorflow.serving.BatchingParameters (session_bundle_config.proto). */
export const BATCHING_PARAMETERS: MessageSchema = {
  fullName: 'tensorflow.serving.BatchingParameters',
  fields: {
    max_batch_size: { type: 'message', message: () => INT64_VALUE },
    batch_timeout_micros: { type: 'message', message: () => INT64_VALUE },
    max_enqueued_batches: { type: 'message', message: () => INT64_VALUE },
    num_batch_threads: { type: 'message', message: () => INT64_VALUE },
    thread_pool_name: { type: 'message', message: () => STRING_VALUE },
    allowed_batch_sizes: { type: 'int64', repeated: true },
    pad_variable_length_inputs: { type: 'bool' },
    enable_large_batch_splitting: { type: 'message', message: () => BOOL_VALUE },
    max_execution_batch_size: { type: 'message', message: () => INT64_VALUE },
  },
};

/** tensorflow.serving.PrometheusConfig. */
export const PROMETHEUS_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.PrometheusConfig',
  fields: { enable: { type: 'bool' }, path: { type: 'string' } },
};

/** tensorflow.serving.MonitoringConfig. */
export const MONITORING_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.MonitoringConfig',
  fields: { prometheus_config: { type: 'message', message: () => PROMETHEUS_CONFIG } },
};
