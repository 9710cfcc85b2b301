namespace MLNet.CSP.Pipelines;

/// <summary>Chooses the torch device for an ML.NET component.</summary>
internal static class TorchDevices
{
    /// <summary>
    /// Resolves <paramref name="requested"/> ("cpu", "cuda", "cuda:N"); null follows <c>MLContext.GpuDeviceId</c>
    /// (CPU when unset). When CUDA is asked for but unavailable, falls back to CPU if <paramref name="fallbackToCpu"/>
    /// (null follows <c>MLContext.FallbackToCpu</c>) and logs a warning to ML.NET's channel, else throws.
    /// </summary>
    public static Device Resolve(IHostEnvironment env, string? requested, bool? fallbackToCpu)
    {
        var (gpuId, contextFallback) = MLNetInternals.GetGpuSettings(env);
        string name = requested?.Trim().ToLowerInvariant() ?? (gpuId is int id ? $"cuda:{id}" : "cpu");
        bool fallback = fallbackToCpu ?? contextFallback;
        if (name == "cpu") return torch.CPU;
        if (name != "cuda" && !(name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name[5..], out _)))
            throw new ArgumentException($"Unknown device '{requested}'. Use \"cpu\", \"cuda\" or \"cuda:N\".", nameof(requested));
        int index = name == "cuda" ? 0 : int.Parse(name[5..]);
        string? problem = null;
        if (!torch.cuda.is_available())
            problem = "TorchSharp reports no CUDA device (reference TorchSharp-cuda-linux or TorchSharp-cuda-windows instead of a CPU libtorch package, and check the NVIDIA driver)";
        else if (index >= torch.cuda.device_count())
            problem = $"only {torch.cuda.device_count()} CUDA device(s) are present";
        if (problem is null) return torch.device(DeviceType.CUDA, index);
        if (!fallback) throw new InvalidOperationException($"Device '{name}' was requested but {problem}. Set FallbackToCpu to run on the CPU instead.");
        using (var channel = env.Register("MLNet.CSP").Start("Device"))
            channel.Warning($"Device '{name}' is not available ({problem}); falling back to the CPU.");
        return torch.CPU;
    }
}
