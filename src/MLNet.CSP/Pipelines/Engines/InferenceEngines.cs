using Microsoft.ML.OnnxRuntime;

namespace MLNet.CSP.Pipelines.Engines;

/// <summary>Which engine a transformer runs with: the requested one checked against the device and the application's packages.</summary>
internal static class InferenceEngines
{
    private static readonly Lazy<string?> OnnxRuntimeProblem = new(ProbeOnnxRuntime);

    /// <summary>Whether ONNX Runtime's native library loads in this process (the application references Microsoft.ML.OnnxRuntime).</summary>
    public static bool OnnxRuntimeAvailable => OnnxRuntimeProblem.Value is null;

    /// <summary>Why ONNX Runtime's native library does not load in this process; null when it does.</summary>
    public static string? OnnxRuntimeUnavailableReason => OnnxRuntimeProblem.Value;

    /// <summary>The engine that runs: <see cref="InferenceEngine.TorchSharp"/> or <see cref="InferenceEngine.OnnxRuntime"/>.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime was asked for on a CUDA device, or its native library does not load.</exception>
    public static InferenceEngine Resolve(InferenceEngine requested, Device device) => Resolve(requested, device, () => OnnxRuntimeProblem.Value);

    /// <summary>The same, given why ONNX Runtime's native library does not load (null: it loads).</summary>
    internal static InferenceEngine Resolve(InferenceEngine requested, Device device, string? onnxRuntimeProblem) =>
        Resolve(requested, device, () => onnxRuntimeProblem);

    /// <summary>
    /// The engine a loaded model asks for: its saved one, except that a saved <see cref="InferenceEngine.OnnxRuntime"/> this process
    /// cannot run (a CUDA device, no native ONNX Runtime) becomes TorchSharp with a warning, so the model still loads and scores.
    /// </summary>
    public static InferenceEngine ForLoadedModel(IHostEnvironment env, InferenceEngine saved, Device device, string component)
    {
        if (saved != InferenceEngine.OnnxRuntime) return saved;
        try
        {
            return Resolve(saved, device);
        }
        catch (InvalidOperationException e)
        {
            using var channel = env.Register(component).Start("Engine");
            channel.Warning($"The model was saved to score with ONNX Runtime; it scores with TorchSharp here instead. {e.Message}");
            return InferenceEngine.TorchSharp;
        }
    }

    private static InferenceEngine Resolve(InferenceEngine requested, Device device, Func<string?> onnxRuntimeProblem)
    {
        bool cpu = device.type == DeviceType.CPU;
        switch (requested)
        {
            case InferenceEngine.TorchSharp:
                return InferenceEngine.TorchSharp;
            case InferenceEngine.OnnxRuntime:
                if (!cpu)
                    throw new InvalidOperationException($"InferenceEngine.OnnxRuntime runs on the CPU; this transformer's device is '{device}'. " +
                        "Use InferenceEngine.TorchSharp (or Auto) on CUDA.");
                if (onnxRuntimeProblem() is { } problem)
                    throw new InvalidOperationException("InferenceEngine.OnnxRuntime needs ONNX Runtime's native library: add a PackageReference to " +
                        $"Microsoft.ML.OnnxRuntime (the version of Microsoft.ML.OnnxRuntime.Managed the application gets) to the application, " +
                        $"or use InferenceEngine.TorchSharp. ({problem})");
                return InferenceEngine.OnnxRuntime;
            case InferenceEngine.Auto:
                // Probed only here: an application that pins TorchSharp, or scores on CUDA, never loads ONNX Runtime.
                return cpu && onnxRuntimeProblem() is null ? InferenceEngine.OnnxRuntime : InferenceEngine.TorchSharp;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown inference engine.");
        }
    }

    /// <summary>Null when ONNX Runtime's native library loads; else why not (any failure means: not usable here).</summary>
    private static string? ProbeOnnxRuntime()
    {
        try
        {
            _ = OrtEnv.Instance().GetVersionString();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e.GetBaseException().Message;
        }
    }
}
