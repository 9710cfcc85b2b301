using MLNet.CSP.Models;
using MLNet.CSP.Models.Configs;

namespace MLNet.CSP.MLNet.Featurizer;

/// <summary>Options of <c>mlContext.Transforms.CspFeaturize</c>.</summary>
public sealed class CspFeaturizerOptions
{
    /// <summary>Name of the output column: a known-size <see cref="float"/> vector of the backbone's features.</summary>
    public string OutputColumnName { get; set; } = "Features";

    /// <summary>Name of the image column (<c>Image</c> from <c>LoadImages</c>, or encoded bytes); null: <see cref="OutputColumnName"/>.</summary>
    public string? InputColumnName { get; set; }

    /// <summary>Registered backbone name (see <see cref="Backbones.Names"/>).</summary>
    public string Architecture { get; set; } = CspDefaults.FeaturizerArchitecture;

    /// <summary>
    /// Checkpoint with the backbone's weights (<c>.safetensors</c>, <c>.pth</c>; a published timm/torchvision
    /// checkpoint or one saved by this library). Any classifier in it is ignored. Null: random weights drawn from
    /// the MLContext's seed (features are then only useful for tests and experiments).
    /// </summary>
    public string? WeightsPath { get; set; }

    /// <summary>Network input side; null: the checkpoint's pretrained input size.</summary>
    public int? ImageSize { get; set; }

    /// <summary>Center-crop fraction (resize to <c>ImageSize / CropFraction</c>, then crop); null: the pretrained one.</summary>
    public double? CropFraction { get; set; }

    /// <summary>Resize interpolation; null: the pretrained one.</summary>
    public Interpolation? Interpolation { get; set; }

    /// <summary>RGB normalisation mean in [0, 1] units; null: the pretrained one (ImageNet).</summary>
    public float[]? Mean { get; set; }

    /// <summary>RGB normalisation standard deviation; null: the pretrained one (ImageNet).</summary>
    public float[]? Std { get; set; }

    /// <summary>How the final feature map becomes a vector.</summary>
    public GlobalPooling Pooling { get; set; } = GlobalPooling.Average;

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; set; } = CspDefaults.FeaturizerBatchSize;

    /// <summary>"cpu", "cuda" or "cuda:N"; null follows <c>MLContext.GpuDeviceId</c> (CPU when unset).</summary>
    public string? Device { get; set; }

    /// <summary>Run on the CPU when the requested CUDA device is unavailable; null follows <c>MLContext.FallbackToCpu</c>.</summary>
    public bool? FallbackToCpu { get; set; }

    /// <summary>Torch intra-op threads (process-wide setting); null leaves libtorch's choice.</summary>
    public int? TorchThreads { get; set; }
}
