namespace MLNet.CSP.Pipelines;

/// <summary>What the featurizer and the trainer do before they touch data: threads, device, preprocessing, and a network
/// initialised from the MLContext's seed (then overwritten by a checkpoint when one is given).</summary>
internal static class NetworkSetup
{
    public static (Device Device, ImagePreprocessing Preprocessing) Prepare(IHost host, CspNetworkOptions options)
    {
        TorchNative.EnsureLoaded();
        var resolved = TorchDevices.Resolve(host, options.Device, options.FallbackToCpu);
        if (resolved.type == DeviceType.CPU) LogBackend(host);
        // Before any training: an engine that cannot run on this device or without its package fails now, not after the last epoch.
        var engine = Engines.InferenceEngines.Resolve(options.InferenceEngine, resolved);
        if (options.InferenceEngine == InferenceEngine.Auto && resolved.type == DeviceType.CPU)
        {
            using var channel = host.Start("Engine");
            channel.Info(engine == InferenceEngine.OnnxRuntime
                ? "Scoring with ONNX Runtime (InferenceEngine.Auto)."
                : $"Scoring with TorchSharp (InferenceEngine.Auto): ONNX Runtime's native library did not load ({Engines.InferenceEngines.OnnxRuntimeUnavailableReason}).");
        }
        var pretrained = PretrainedTags.Preprocessing(options.Architecture);
        return (resolved, ImagePreprocessing.FromPretrained(pretrained, options.ImageSize, options.CropFraction, options.Interpolation, options.Mean, options.Std));
    }

    /// <summary>Runs the backend check (once per process and thread count) and logs its verdict to ML.NET's channel.</summary>
    private static void LogBackend(IHost host)
    {
        var status = TorchBackend.Status;
        using var channel = host.Start("Backend");
        if (!status.IsReliable) channel.Error(status.Describe());
        else if (status.Path != ConvolutionPath.OneDnn) channel.Warning(status.Describe());
        else channel.Info(status.Describe());
    }

    /// <summary>
    /// Creates the network with weights drawn from <paramref name="seed"/>, then loads the options' weights file, or the
    /// published weights when <see cref="CspNetworkOptions.Pretrained"/>, without their classifier unless it fits
    /// (a fresh one for <paramref name="numClasses"/> stays).
    /// </summary>
    public static Backbone Create(CspNetworkOptions options, int numClasses, int seed)
    {
        string? weightsPath = options.WeightsPath;
        var backbone = SeededInitialization.Create(seed, () => Backbones.Create(options.Architecture, numClasses, pretrained: options.Pretrained && weightsPath is null, options.Hub));
        try
        {
            if (weightsPath is not null)
                Checkpoint.Load(backbone, weightsPath, new CheckpointLoadOptions { ExcludeClassifier = true });
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }
}
