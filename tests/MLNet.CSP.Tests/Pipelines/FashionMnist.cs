namespace MLNet.CSP.Tests.Pipelines;

/// <summary>The Fashion-MNIST subset embedded in TestData (folder per class, 28x28 grey PNG).</summary>
internal static class FashionMnist
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "TestData", "fashion-mnist");

    public static List<ImageRow> Load(string split) =>
        Directory.GetDirectories(Path.Combine(Root, split)).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(dir => Directory.GetFiles(dir, "*.png").OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => new ImageRow { ImagePath = f, Label = Path.GetFileName(dir) }))
            .ToList();
}

/// <summary>An image path with its label, as users load them.</summary>
public sealed class ImageRow
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}
