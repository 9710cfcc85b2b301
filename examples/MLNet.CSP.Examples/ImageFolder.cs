namespace MLNet.CSP.Examples;

/// <summary>A folder with one sub-folder per class, the layout users already have.</summary>
internal static class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    public static string DefaultRoot => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist");

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>Every image under <paramref name="folder"/> labelled with its sub-folder's name; at most <paramref name="perClass"/> per class.</summary>
    public static List<LabelledImage> Load(string folder, int? perClass = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist.");
        var rows = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .SelectMany(dir => Directory.GetFiles(dir).Where(IsImage).Order(StringComparer.Ordinal).Take(perClass ?? int.MaxValue)
                .Select(f => new LabelledImage { ImagePath = Path.GetFullPath(f), Label = Path.GetFileName(dir) }))
            .ToList();
        if (rows.Count == 0) throw new InvalidDataException($"'{folder}' has no images in class sub-folders (folder/class/image.png).");
        return rows;
    }
}

/// <summary>One image file and its class name.</summary>
public sealed class LabelledImage
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}
