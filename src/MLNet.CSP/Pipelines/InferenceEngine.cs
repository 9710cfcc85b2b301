namespace MLNet.CSP.Pipelines;

/// <summary>What runs a fitted transformer's network when it scores (the weights, preprocessing and outputs are the same).</summary>
public enum InferenceEngine
{
    /// <summary>
    /// ONNX Runtime on the CPU when the application references its native package (<c>Microsoft.ML.OnnxRuntime</c>) and the
    /// transformer runs on the CPU; TorchSharp otherwise. The choice is made again wherever a saved model is loaded.
    /// </summary>
    Auto,

    /// <summary>libtorch through TorchSharp (CPU or CUDA), the network the trainer trained.</summary>
    TorchSharp,

    /// <summary>
    /// ONNX Runtime (CPU) running the network's own ONNX export in-process, built when the transformer is created or loaded.
    /// Needs the native package <c>Microsoft.ML.OnnxRuntime</c> in the application and a CPU device.
    /// </summary>
    OnnxRuntime,
}
