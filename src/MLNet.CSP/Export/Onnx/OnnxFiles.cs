namespace MLNet.CSP.Export.Onnx;

/// <summary>Writes an export to a file through a temporary file beside it, so a failed export leaves any earlier file as it was.</summary>
internal static class OnnxFiles
{
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
}
