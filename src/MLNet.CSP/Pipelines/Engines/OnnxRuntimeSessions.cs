using Microsoft.ML.OnnxRuntime;

namespace MLNet.CSP.Pipelines.Engines;

/// <summary>How the engines open an exported graph in ONNX Runtime: CPU, sequential, every graph optimisation, set intra-op threads.</summary>
internal static class OnnxRuntimeSessions
{
    public static InferenceSession Open(byte[] model, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(threads));
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        return new InferenceSession(model, options);
    }
}
