namespace MLNet.CSP.Imaging;

/// <summary>
/// Whether an image file on disk is whole. ML.NET's <c>LoadImages</c> decodes a JPEG or PNG that ends early without a
/// word (the missing rows come out grey or black); this check reads the file's last bytes, which in a whole JPEG are
/// the end-of-image marker and in a whole PNG the <c>IEND</c> chunk, and only when they are not there decodes the file
/// with the library's own decoder, which tells a cut file (an error) from trailing bytes after a whole image (fine).
/// Other formats are not checked.
/// </summary>
internal static class EncodedImageFile
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static ReadOnlySpan<byte> PngEnd => [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    /// <summary>Null when the file is whole (or not a JPEG or PNG, or unreadable here); else what is wrong with it.</summary>
    public static string? Problem(string path)
    {
        byte[] head = new byte[8], tail = new byte[12];
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length == 0) return "the file is empty";
            int got = stream.Read(head);
            bool known = got >= 2 && head[0] == 0xFF && head[1] == 0xD8 || got == head.Length && head.AsSpan().SequenceEqual(PngSignature);
            if (stream.Length < tail.Length) return known ? $"the file ends after {stream.Length} bytes" : null;
            stream.Seek(-tail.Length, SeekOrigin.End);
            stream.ReadExactly(tail);
        }
        catch (IOException)
        {
            return null; // ML.NET read it a moment ago; a file that vanished since is not this check's business
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        bool jpeg = head[0] == 0xFF && head[1] == 0xD8;
        bool png = head.AsSpan().SequenceEqual(PngSignature);
        if (!jpeg && !png) return null;
        if (jpeg ? tail[^2] == 0xFF && tail[^1] == 0xD9 : tail.AsSpan().SequenceEqual(PngEnd)) return null;
        try
        {
            ImageTensors.Decode(File.ReadAllBytes(path)).Dispose();
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }
}
