using System.Security.Cryptography;

namespace MLNet.CSP.Pipelines.Internal;

/// <summary>
/// The library's one way to replace a file and to fingerprint one: writes go to a temporary file beside the target and are
/// moved over it only when complete (a failed or interrupted write leaves any earlier file as it was); checksums are SHA-256.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through a temporary file beside it; returns what <paramref name="write"/> returns.</summary>
    public static T Write<T>(string path, Func<Stream, T> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + $".{Guid.NewGuid():N}.tmp";
        try
        {
            T result;
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                result = write(stream);
            File.Move(temporary, full, overwrite: true);
            return result;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes text to <paramref name="path"/> through a temporary file.</summary>
    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
        return 0;
    });

    /// <summary>The SHA-256 of a file, upper-case hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>The SHA-256 of a file, upper-case hex, read asynchronously.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellation)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, cancellation).ConfigureAwait(false));
    }

    /// <summary>The SHA-256 of bytes in memory.</summary>
    public static byte[] Sha256(ReadOnlySpan<byte> bytes) => SHA256.HashData(bytes);
}
