using Microsoft.ML;

namespace MLNet.CSP.Benchmarks;

/// <summary>A folder of class sub-folders as an ML.NET view: ImagePath, Label (the folder name), Image (LoadImages).</summary>
internal static class ImageFolders
{
    public static IDataView Load(MLContext ml, string folder)
    {
        var rows = Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).OrderBy(f => f, StringComparer.Ordinal).Select(f => new Row { ImagePath = f, Label = Path.GetFileName(d) }))
            .ToList();
        if (rows.Count == 0) throw new DirectoryNotFoundException($"No images in class sub-folders of '{folder}'.");
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.LoadImages("Image", null, nameof(Row.ImagePath)).Fit(data).Transform(data);
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
