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
        var pretrained = Backbones.GetConfig(options.Architecture).Pretrained;
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
    /// Creates the network with weights drawn from <paramref name="seed"/>, then loads <paramref name="weightsPath"/>
    /// without its classifier (a fresh one for <paramref name="numClasses"/> stays).
    /// </summary>
    public static Backbone Create(string architecture, int numClasses, string? weightsPath, int seed)
    {
        torch.manual_seed(seed);
        var backbone = Backbones.Create(architecture, numClasses);
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
