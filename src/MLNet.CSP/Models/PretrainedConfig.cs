namespace MLNet.CSP.Models;

/// <summary>How images were preprocessed for a variant's published checkpoint (timm's pretrained cfg).</summary>
/// <param name="InputSize">Square input side the network is evaluated at.</param>
/// <param name="CropFraction">Center-crop fraction: images are resized to <c>InputSize / CropFraction</c>, then center-cropped.</param>
/// <param name="Interpolation">Resize interpolation used in evaluation.</param>
/// <param name="Mean">Per-channel (RGB) mean subtracted after scaling pixels to [0, 1].</param>
/// <param name="Std">Per-channel (RGB) standard deviation.</param>
/// <param name="Weights">Where the published checkpoint lives, or null when there is none.</param>
public sealed record PretrainedConfig(
    int InputSize,
    double CropFraction,
    Interpolation Interpolation,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    PublishedWeights? Weights = null)
{
    /// <summary>ImageNet RGB mean.</summary>
    public static readonly IReadOnlyList<float> ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet RGB standard deviation.</summary>
    public static readonly IReadOnlyList<float> ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>timm's CSP default: 256x256, crop 0.887, bilinear, ImageNet statistics.</summary>
    public static PretrainedConfig TimmCsp(Interpolation interpolation = Interpolation.Bilinear, string? hubRepository = null) =>
        new(256, 0.887, interpolation, ImageNetMean, ImageNetStd, hubRepository is null ? null : new PublishedWeights(hubRepository));

    /// <summary>torchvision's ImageNet default: resize 256, crop 224, bilinear.</summary>
    public static PretrainedConfig Torchvision(string? hubRepository = null) =>
        new(224, 0.875, Interpolation.Bilinear, ImageNetMean, ImageNetStd, hubRepository is null ? null : new PublishedWeights(hubRepository));

    /// <summary>The size of the shorter side before the center crop.</summary>
    public int ResizeSize => (int)Math.Floor(InputSize / CropFraction);
}
