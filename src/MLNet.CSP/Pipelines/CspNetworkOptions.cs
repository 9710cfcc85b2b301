namespace MLNet.CSP.Pipelines;

/// <summary>
/// What the featurizer and the trainer share: the network, its weights, the preprocessing, the device and threads.
/// Every value is checked once, by <see cref="Validate"/>, when the estimator is created.
/// </summary>
public abstract class CspNetworkOptions
{
    /// <summary>Creates the options with the component's default architecture.</summary>
    private protected CspNetworkOptions(string architecture) => Architecture = architecture;

    /// <summary>Registered backbone name (see <see cref="Backbones.Names"/>).</summary>
    public string Architecture { get; set; }

    /// <summary>
    /// Checkpoint to start from (<c>.safetensors</c>, <c>.pth</c>; a published timm/torchvision checkpoint or one saved by this
    /// library); its classifier is not used. Null: random weights drawn from the MLContext's seed, initialised like the reference.
    /// </summary>
    public string? WeightsPath { get; set; }

    /// <summary>
    /// Start from the architecture's published ImageNet weights, downloaded from the Hugging Face Hub into its shared cache
    /// on first use (<see cref="Weights.Hub.HubOptions"/> reads HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN, HF_ENDPOINT). The
    /// architecture may name a tag (<c>cspresnext50.ra_in1k</c>); without one, its default. Ignored when
    /// <see cref="WeightsPath"/> is given. The MLContext's seed still draws everything the weights do not fix.
    /// </summary>
    public bool Pretrained { get; set; }

    /// <summary>Where and how pretrained weights are fetched; null reads the environment.</summary>
    public Weights.Hub.HubOptions? Hub { get; set; }

    /// <summary>Network input side in pixels (<see cref="CspDefaults.MinImageSize"/> to <see cref="CspDefaults.MaxImageSize"/>); null: the checkpoint's pretrained input size.</summary>
    public int? ImageSize { get; set; }

    /// <summary>Center-crop fraction in (0, 1] (resize to <c>ImageSize / CropFraction</c>, then crop); null: the pretrained one.</summary>
    public double? CropFraction { get; set; }

    /// <summary>Resize interpolation; null: the pretrained one.</summary>
    public Interpolation? Interpolation { get; set; }

    /// <summary>RGB normalisation mean, three finite values in [0, 1] units; null: the pretrained one (ImageNet).</summary>
    public float[]? Mean { get; set; }

    /// <summary>RGB normalisation standard deviation, three finite positive values; null: the pretrained one (ImageNet).</summary>
    public float[]? Std { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N"; null follows <c>MLContext.GpuDeviceId</c> (CPU when unset).</summary>
    public string? Device { get; set; }

    /// <summary>Run on the CPU when the requested CUDA device is unavailable; null follows <c>MLContext.FallbackToCpu</c>.</summary>
    public bool? FallbackToCpu { get; set; }

    /// <summary>
    /// libtorch intra-op threads while this component computes (its fit, each batch it scores), restored afterwards: the setting
    /// is process-wide, so components with different counts can take turns. Null leaves the process's count alone.
    /// </summary>
    public int? TorchThreads { get; set; }

    /// <summary>
    /// What runs the fitted transformer's network when it scores: <see cref="Pipelines.InferenceEngine.Auto"/> (the default) takes
    /// ONNX Runtime on the CPU when the application references <c>Microsoft.ML.OnnxRuntime</c>, else TorchSharp. Saved with the
    /// model. Training always runs on TorchSharp.
    /// </summary>
    public InferenceEngine InferenceEngine { get; set; } = CspDefaults.InferenceEngine;

    /// <summary>Checks every shared setting (and the component's own, in overrides); throws naming the option.</summary>
    internal virtual void Validate()
    {
        Backbones.GetConfig(PretrainedTags.Split(Architecture ?? throw new ArgumentNullException(nameof(Architecture))).Architecture); // unknown names list the registered ones
        if (Pretrained && WeightsPath is null && PretrainedTags.Weights(Architecture) is null)
            throw new ArgumentException($"Pretrained: '{Architecture}' has no published weights. These do: {string.Join(", ", PretrainedTags.WithWeights())}.", nameof(Pretrained));
        if (WeightsPath is not null && !File.Exists(WeightsPath))
            throw new FileNotFoundException($"Weights file '{WeightsPath}' was not found.", WeightsPath);
        if (ImageSize is int size && (size < CspDefaults.MinImageSize || size > CspDefaults.MaxImageSize))
            throw new ArgumentOutOfRangeException(nameof(ImageSize), size, $"ImageSize must be between {CspDefaults.MinImageSize} and {CspDefaults.MaxImageSize} pixels.");
        if (CropFraction is double crop && !(crop > 0 && crop <= 1))
            throw new ArgumentOutOfRangeException(nameof(CropFraction), crop, "CropFraction must be in (0, 1].");
        if (Interpolation is { } interpolation && !Enum.IsDefined(interpolation))
            throw new ArgumentOutOfRangeException(nameof(Interpolation), interpolation, "Unknown interpolation.");
        CheckChannels(Mean, nameof(Mean), positive: false);
        CheckChannels(Std, nameof(Std), positive: true);
        if (TorchThreads is int threads) ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(TorchThreads));
        if (!Enum.IsDefined(InferenceEngine)) throw new ArgumentOutOfRangeException(nameof(InferenceEngine), InferenceEngine, "Unknown inference engine.");
    }

    private static void CheckChannels(float[]? values, string name, bool positive)
    {
        if (values is null) return;
        if (values.Length != 3) throw new ArgumentException($"{name} needs 3 values (R, G, B), got {values.Length}.", name);
        foreach (var v in values)
            if (!float.IsFinite(v) || (positive && v <= 0))
                throw new ArgumentOutOfRangeException(name, v, $"{name} values must be finite{(positive ? " and positive" : "")}; got [{string.Join(", ", values)}].");
    }
}
