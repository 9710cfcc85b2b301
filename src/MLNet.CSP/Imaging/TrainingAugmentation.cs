namespace MLNet.CSP.Imaging;

/// <summary>Training-time augmentations on single images [3, H, W] (float, [0, 1]); randomness from the caller's <see cref="Random"/>.</summary>
public static class TrainingAugmentation
{
    /// <summary>
    /// Random resized crop (timm/torchvision): a window with area fraction in [<paramref name="minScale"/>, 1] and
    /// aspect ratio in [3/4, 4/3] (log-uniform), resized to <paramref name="size"/> x <paramref name="size"/>;
    /// after 10 failed draws, the center crop.
    /// </summary>
    public static Tensor RandomResizedCrop(Tensor image, int size, double minScale, Models.Interpolation interpolation, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        long height = image.shape[1], width = image.shape[2];
        double area = height * width;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (minScale + random.NextDouble() * (1 - minScale));
            double logRatio = Math.Log(3.0 / 4) + random.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4));
            double ratio = Math.Exp(logRatio);
            long w = (long)Math.Round(Math.Sqrt(target * ratio));
            long h = (long)Math.Round(Math.Sqrt(target / ratio));
            if (w <= 0 || h <= 0 || w > width || h > height) continue;
            long top = random.NextInt64(height - h + 1), left = random.NextInt64(width - w + 1);
            using var window = image.narrow(1, top, h).narrow(2, left, w).unsqueeze(0);
            using var resized = ImageTensors.Resize(window, size, size, interpolation);
            return resized.squeeze(0);
        }
        using var batch = image.unsqueeze(0);
        using var scaled = ImageTensors.ResizeShorterSide(batch, size, interpolation);
        using var cropped = ImageTensors.CenterCrop(scaled, size);
        return cropped.squeeze(0).contiguous();
    }

    /// <summary>Mirrors the image left-right with probability 1/2.</summary>
    public static Tensor RandomHorizontalFlip(Tensor image, Random random) =>
        random.NextDouble() < 0.5 ? image.flip(2) : image.alias();

    /// <summary>
    /// Shifts the image [3, H, W] by a random offset of up to <c>round(size / 8)</c> pixels in each direction, repeating the edge
    /// pixels into the uncovered border (pad, then a random crop of the original size).
    /// </summary>
    public static Tensor RandomShift(Tensor image, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(random);
        long height = image.shape[1], width = image.shape[2];
        long pad = Math.Max(1, (long)Math.Round(Math.Min(height, width) / 8.0));
        long top = random.NextInt64(2 * pad + 1), left = random.NextInt64(2 * pad + 1);
        using var batch = image.unsqueeze(0);
        using var padded = nn.functional.pad(batch, [pad, pad, pad, pad], PaddingModes.Replicate);
        using var window = padded.narrow(2, top, height).narrow(3, left, width);
        return window.squeeze(0).contiguous();
    }
}
