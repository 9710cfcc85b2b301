using SkiaSharp;

namespace MLNet.CSP.Imaging;

/// <summary>
/// The one place where images become tensors: decoded <see cref="MLImage"/>s or encoded bytes (PNG, JPEG, BMP,
/// GIF, WEBP) to normalised float NCHW tensors. Any size, grayscale, RGB or RGBA input works (alpha is dropped).
/// </summary>
public static class ImageTensors
{
    /// <summary>Decodes encoded image bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are empty or not a decodable image.</exception>
    public static MLImage Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.IsEmpty) throw new InvalidDataException("The image bytes are empty.");
        // Premultiplied RGBA, the layout ML.NET's own decoder gives MLImage, so both inputs take the same path afterwards.
        var (pixels, width, height, opaque) = DecodePixels(encoded, SKColorType.Rgba8888, SKAlphaType.Premul);
        var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, pixels);
        return opaque ? image : EncodedSources.Attach(image, encoded.ToArray()); // the colour of transparent pixels is in the bytes
    }

    /// <summary>The pixels of encoded bytes in the given layout, and whether the image has no alpha channel.</summary>
    private static (byte[] Pixels, int Width, int Height, bool Opaque) DecodePixels(ReadOnlySpan<byte> encoded, SKColorType colorType, SKAlphaType alphaType)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"The {encoded.Length} bytes are not a decodable image (no PNG, JPEG, BMP, GIF or WEBP codec recognises them).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, colorType, alphaType);
        var pixels = new byte[info.BytesSize];
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(pixels, System.Runtime.InteropServices.GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        if (result is SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput)
            throw new InvalidDataException($"The {encoded.Length} image bytes are truncated or damaged: the decoder stopped before the end of the image ({result}).");
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"The {encoded.Length} bytes are not a decodable image ({result}).");
        return (pixels, info.Width, info.Height, codec.Info.AlphaType == SKAlphaType.Opaque);
    }

    /// <summary>
    /// The stored (unpremultiplied) pixels of the image's encoded source in the image's channel order, when that source decodes,
    /// premultiplied, to exactly the image's pixels (a transform after LoadImages may keep the file's tag on other pixels).
    /// </summary>
    private static byte[]? StoredPixels(MLImage image, bool bgr)
    {
        if (EncodedSources.Of(image) is not { } encoded) return null;
        try
        {
            var colorType = bgr ? SKColorType.Bgra8888 : SKColorType.Rgba8888;
            var (premultiplied, width, height, _) = DecodePixels(encoded, colorType, SKAlphaType.Premul);
            if (width != image.Width || height != image.Height || !premultiplied.AsSpan().SequenceEqual(image.Pixels)) return null;
            return DecodePixels(encoded, colorType, SKAlphaType.Unpremul).Pixels;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>RGB pixels of an image as a float tensor [3, H, W] in [0, 1].</summary>
    public static Tensor ToRgbTensor(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int width = image.Width, height = image.Height;
        var pixels = image.Pixels;
        if (pixels.Length != width * height * 4)
            throw new InvalidDataException($"Unexpected pixel buffer of {pixels.Length} bytes for a {width}x{height} image in {image.PixelFormat}.");
        bool bgr = image.PixelFormat switch
        {
            MLPixelFormat.Rgba32 => false,
            MLPixelFormat.Bgra32 => true,
            _ => throw new NotSupportedException($"Pixel format {image.PixelFormat} is not supported."),
        };
        using var scope = torch.NewDisposeScope();
        var raw = torch.empty([height, width, 4], ScalarType.Byte);
        pixels.CopyTo(raw.bytes);
        var rgb = raw.narrow(2, 0, 3);
        if (bgr) rgb = rgb.flip(2);
        var result = rgb.permute(2, 0, 1).to_type(ScalarType.Float32);
        // MLImage pixels are premultiplied by alpha; PIL's convert('RGB'), which timm and torchvision users get, keeps each
        // pixel's stored colour. Where the image is not opaque, take the stored colours from its encoded source (the bytes it
        // was decoded from, or the file LoadImages read) when that source is this image; else divide alpha back out (fully
        // transparent pixels then stay black: their colour is gone in a premultiplied image).
        var alpha = raw.select(2, 3);
        if (alpha.lt(255).any().item<bool>())
        {
            if (StoredPixels(image, bgr) is { } stored)
            {
                var unpremultiplied = torch.empty([height, width, 4], ScalarType.Byte);
                stored.CopyTo(unpremultiplied.bytes);
                var storedRgb = unpremultiplied.narrow(2, 0, 3);
                if (bgr) storedRgb = storedRgb.flip(2);
                result = storedRgb.permute(2, 0, 1).to_type(ScalarType.Float32);
            }
            else
            {
                var a = alpha.to_type(ScalarType.Float32).unsqueeze(0);
                result = torch.where(a.gt(0), result.mul(255f).div(a.clamp_min(1f)).clamp_max(255f), result);
            }
        }
        return result.mul_(1f / 255f).MoveToOuterDisposeScope();
    }

    /// <summary>The evaluation transform of one image: [3, ImageSize, ImageSize], normalised.</summary>
    public static Tensor Preprocess(MLImage image, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        using var scope = torch.NewDisposeScope();
        var rgb = ToRgbTensor(image).unsqueeze(0);
        var resized = ResizeShorterSide(rgb, preprocessing.ResizeSize, preprocessing.Interpolation);
        var cropped = CenterCrop(resized, preprocessing.ImageSize);
        return Normalize(cropped, preprocessing).squeeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>The evaluation transform of a batch: [N, 3, ImageSize, ImageSize].</summary>
    public static Tensor PreprocessBatch(IEnumerable<MLImage> images, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = torch.NewDisposeScope();
        var tensors = images.Select(i => Preprocess(i, preprocessing)).ToList();
        if (tensors.Count == 0) throw new ArgumentException("The batch is empty.", nameof(images));
        return torch.stack(tensors).MoveToOuterDisposeScope();
    }

    /// <summary>Resizes [N, C, H, W] so that the shorter side is <paramref name="size"/> (aspect kept, as torchvision).</summary>
    public static Tensor ResizeShorterSide(Tensor images, int size, Interpolation interpolation)
    {
        long height = images.shape[2], width = images.shape[3];
        long newHeight, newWidth;
        if (height <= width) { newHeight = size; newWidth = (long)(size * (double)width / height); }
        else { newWidth = size; newHeight = (long)(size * (double)height / width); }
        return Resize(images, newHeight, newWidth, interpolation);
    }

    /// <summary>Resizes [N, C, H, W] to exactly <paramref name="height"/> x <paramref name="width"/> (antialiased when shrinking).</summary>
    public static Tensor Resize(Tensor images, long height, long width, Interpolation interpolation)
    {
        if (images.shape[2] == height && images.shape[3] == width) return images.alias();
        var mode = interpolation == Interpolation.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear;
        var resized = nn.functional.interpolate(images, [height, width], mode: mode, align_corners: false, antialias: true);
        // Bicubic overshoots; PIL (what the checkpoints were evaluated with) clamps to the pixel range.
        return interpolation == Interpolation.Bicubic ? resized.clamp_(0f, 1f) : resized;
    }

    /// <summary>The central <paramref name="size"/> x <paramref name="size"/> window of [N, C, H, W] (padded with zeros when smaller).</summary>
    public static Tensor CenterCrop(Tensor images, int size)
    {
        long height = images.shape[2], width = images.shape[3];
        if (height < size || width < size)
        {
            long padH = Math.Max(0, size - height), padW = Math.Max(0, size - width);
            using var padded = nn.functional.pad(images, [padW / 2, padW - padW / 2, padH / 2, padH - padH / 2]);
            return CenterCrop(padded, size);
        }
        long top = (long)Math.Round((height - size) / 2.0, MidpointRounding.ToEven);
        long left = (long)Math.Round((width - size) / 2.0, MidpointRounding.ToEven);
        return images.narrow(2, top, size).narrow(3, left, size);
    }

    /// <summary>(x - mean) / std per channel of [N, 3, H, W] in [0, 1] units.</summary>
    public static Tensor Normalize(Tensor images, ImagePreprocessing preprocessing)
    {
        using var mean = torch.tensor(preprocessing.Mean.ToArray(), [1, 3, 1, 1]).to(images.device);
        using var std = torch.tensor(preprocessing.Std.ToArray(), [1, 3, 1, 1]).to(images.device);
        using var centered = images - mean;
        return centered / std;
    }
}
