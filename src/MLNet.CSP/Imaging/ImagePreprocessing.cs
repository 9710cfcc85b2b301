namespace MLNet.CSP.Imaging;

/// <summary>
/// The evaluation transform of a checkpoint (timm / torchvision style): resize the shorter side to
/// <see cref="ResizeSize"/>, center-crop <see cref="ImageSize"/> x <see cref="ImageSize"/>, scale pixels to [0, 1]
/// and normalise each RGB channel with <see cref="Mean"/> and <see cref="Std"/>.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Creates a transform; validates every field.</summary>
    public ImagePreprocessing(int imageSize, int resizeSize, Interpolation interpolation, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resizeSize, imageSize);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != 3 || std.Count != 3) throw new ArgumentException("Mean and Std need one value per RGB channel.");
        if (std.Any(s => !(s > 0))) throw new ArgumentOutOfRangeException(nameof(std), "Std values must be positive.");
        ImageSize = imageSize;
        ResizeSize = resizeSize;
        Interpolation = interpolation;
        Mean = mean.ToArray();
        Std = std.ToArray();
    }

    /// <summary>Side of the square network input.</summary>
    public int ImageSize { get; }

    /// <summary>Shorter-side length before the center crop.</summary>
    public int ResizeSize { get; }

    /// <summary>Resize interpolation (antialiased when downscaling).</summary>
    public Interpolation Interpolation { get; }

    /// <summary>RGB mean, in [0, 1] pixel units.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>RGB standard deviation, in [0, 1] pixel units.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>
    /// The checkpoint's transform, optionally at another input size (the crop fraction is kept) or crop fraction.
    /// </summary>
    public static ImagePreprocessing FromPretrained(PretrainedConfig pretrained, int? imageSize = null, double? cropFraction = null,
        Interpolation? interpolation = null, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        int size = imageSize ?? pretrained.InputSize;
        double crop = cropFraction ?? pretrained.CropFraction;
        if (!(crop > 0 && crop <= 1)) throw new ArgumentOutOfRangeException(nameof(cropFraction), crop, "The crop fraction must be in (0, 1].");
        return new ImagePreprocessing(size, (int)Math.Floor(size / crop), interpolation ?? pretrained.Interpolation,
            mean ?? pretrained.Mean, std ?? pretrained.Std);
    }

    /// <inheritdoc />
    public bool Equals(ImagePreprocessing? other) =>
        other is not null && ImageSize == other.ImageSize && ResizeSize == other.ResizeSize && Interpolation == other.Interpolation &&
        Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ImageSize, ResizeSize, Interpolation, Mean[0], Std[0]);
}
