namespace MLNet.CSP.Imaging;

/// <summary>
/// Where an image lands in a square detector input: resized to fit (aspect ratio kept, each side rounded to whole pixels),
/// placed at (<see cref="PadX"/>, <see cref="PadY"/>), the rest filled with grey (YOLO's 114).
/// </summary>
/// <param name="ScaleX">Input pixels per original pixel across (the resized width over the original width).</param>
/// <param name="ScaleY">Input pixels per original pixel down.</param>
/// <param name="PadX">Left padding in input pixels.</param>
/// <param name="PadY">Top padding in input pixels.</param>
/// <param name="Width">Scaled image width in input pixels.</param>
/// <param name="Height">Scaled image height in input pixels.</param>
public readonly record struct Letterbox(float ScaleX, float ScaleY, int PadX, int PadY, int Width, int Height)
{
    /// <summary>Grey of the padding, in [0, 1] before normalisation.</summary>
    public const float PadValue = 114f / 255f;

    /// <summary>The placement of an original <paramref name="width"/> x <paramref name="height"/> image in a <paramref name="size"/> square.</summary>
    public static Letterbox For(int width, int height, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        float scale = Math.Min(size / (float)width, size / (float)height);
        int w = Math.Clamp((int)Math.Round(width * scale), 1, size), h = Math.Clamp((int)Math.Round(height * scale), 1, size);
        return new Letterbox(w / (float)width, h / (float)height, (size - w) / 2, (size - h) / 2, w, h);
    }

    /// <summary>An original x coordinate in input pixels.</summary>
    public float ToInputX(float x) => x * ScaleX + PadX;

    /// <summary>An original y coordinate in input pixels.</summary>
    public float ToInputY(float y) => y * ScaleY + PadY;

    /// <summary>An input x coordinate in original pixels.</summary>
    public float ToOriginalX(float x) => (x - PadX) / ScaleX;

    /// <summary>An input y coordinate in original pixels.</summary>
    public float ToOriginalY(float y) => (y - PadY) / ScaleY;

    /// <summary>
    /// The image letterboxed into a normalised [3, size, size] tensor: <see cref="Place"/>, then (x - mean) / std.
    /// </summary>
    public static Tensor Apply(MLImage image, int size, ImagePreprocessing normalisation)
    {
        ArgumentNullException.ThrowIfNull(normalisation);
        using var placed = Place(image, size);
        using var batch = placed.unsqueeze(0);
        using var normalised = ImageTensors.Normalize(batch, normalisation);
        return normalised.squeeze(0);
    }

    /// <summary>
    /// The image letterboxed into a [3, size, size] tensor in [0, 1]: RGB resized with antialiased bilinear
    /// interpolation to fit, centred, padded with <see cref="PadValue"/>.
    /// </summary>
    public static Tensor Place(MLImage image, int size)
    {
        ArgumentNullException.ThrowIfNull(image);
        var box = For(image.Width, image.Height, size);
        using var scope = torch.NewDisposeScope();
        var rgb = ImageTensors.ToRgbTensor(image).unsqueeze(0);
        var resized = ImageTensors.Resize(rgb, box.Height, box.Width, Models.Interpolation.Bilinear).clamp_(0f, 1f);
        var canvas = torch.full([3, size, size], PadValue);
        canvas[.., box.PadY..(box.PadY + box.Height), box.PadX..(box.PadX + box.Width)] = resized.squeeze(0);
        return canvas.MoveToOuterDisposeScope();
    }
}
