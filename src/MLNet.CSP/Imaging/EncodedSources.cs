using System.Runtime.CompilerServices;

namespace MLNet.CSP.Imaging;

/// <summary>
/// The encoded bytes a decoded <see cref="MLImage"/> came from, where the library decoded it (a bytes column, an encoded file
/// kept in memory): premultiplied pixels have lost the colour of transparent ones, and the bytes still have it.
/// </summary>
internal static class EncodedSources
{
    private static readonly ConditionalWeakTable<MLImage, byte[]> Sources = new();

    public static MLImage Attach(MLImage image, byte[] encoded)
    {
        Sources.AddOrUpdate(image, encoded);
        return image;
    }

    /// <summary>The image's encoded bytes: attached ones, else the file <c>LoadImages</c> tagged it with; null without either.</summary>
    public static byte[]? Of(MLImage image)
    {
        if (Sources.TryGetValue(image, out var bytes)) return bytes;
        if (image.Tag is string file && file.Length > 0 && File.Exists(file))
        {
            try
            {
                return File.ReadAllBytes(file);
            }
            catch (IOException)
            {
                return null;
            }
        }
        return null;
    }
}
