using SkiaSharp;

namespace MLNet.CSP.Pipelines.Datasets;

/// <summary>An image file's size from its header, without decoding the pixels.</summary>
internal static class ImageHeader
{
    public static (int Width, int Height) Size(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The image '{path}' does not exist.", path);
        using var codec = SKCodec.Create(path);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
            throw new InvalidDataException($"'{path}' is not an image this library reads (PNG, JPEG, BMP, GIF, WEBP), or its header is damaged.");
        return (codec.Info.Width, codec.Info.Height);
    }
}
