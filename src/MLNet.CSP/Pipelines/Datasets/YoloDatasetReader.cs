using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace MLNet.CSP.Pipelines.Datasets;

/// <summary>
/// Reads a dataset in the Ultralytics YOLO layout: a <c>data.yaml</c> with <c>path</c>, <c>train</c>/<c>val</c>/<c>test</c>
/// (a folder of images, a text file listing images, or a list of either) and <c>names</c> (a list, or a map from index to
/// name); each image's labels in the file found by replacing the last <c>images</c> folder of its path with <c>labels</c> and
/// its extension with <c>.txt</c>, one object per line: <c>class cx cy w h</c> normalised to 0..1 (or a polygon
/// <c>class x1 y1 x2 y2 ...</c>, taken as its bounding box). An image without a label file is a negative. Every bad value
/// fails naming its file and line.
/// </summary>
internal static class YoloDatasetReader
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp",
    };

    public static DetectionDataset Read(string path, string split)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        string yamlPath = FindYaml(path);
        var root = ReadYaml(yamlPath);
        string yamlFolder = Path.GetDirectoryName(Path.GetFullPath(yamlPath))!;
        string datasetRoot = Scalar(root, "path", yamlPath) is { } p && p.Text.Length > 0
            ? Path.GetFullPath(Path.IsPathRooted(p.Text) ? p.Text : Path.Combine(yamlFolder, p.Text))
            : yamlFolder;
        var names = Names(root, yamlPath);

        if (!root.Children.TryGetValue(new YamlScalarNode(split), out var entry) || entry is YamlScalarNode { Value: null or "" })
            throw new InvalidDataException($"{yamlPath}: no '{split}' entry; the file has {string.Join(", ", root.Children.Keys.Select(k => $"'{k}'"))}.");
        var images = new List<string>();
        foreach (var (item, line) in Items(entry, yamlPath, split))
            images.AddRange(ImagesOf(item, line, datasetRoot, yamlPath));
        if (images.Count == 0) throw new InvalidDataException($"{yamlPath}:{Line(entry)}: '{split}' names no image.");

        var rows = new List<DetectionDatasetRow>(images.Count);
        foreach (string image in images.Distinct(StringComparer.Ordinal).OrderBy(i => i, StringComparer.Ordinal))
            rows.Add(ReadLabels(image, names.Count));
        return new DetectionDataset(rows, names, yamlPath);
    }

    private static string FindYaml(string path)
    {
        if (File.Exists(path)) return path;
        if (Directory.Exists(path))
        {
            foreach (string name in new[] { "data.yaml", "data.yml", "dataset.yaml" })
                if (File.Exists(Path.Combine(path, name))) return Path.Combine(path, name);
            var yamls = Directory.GetFiles(path, "*.yaml").Concat(Directory.GetFiles(path, "*.yml")).ToArray();
            if (yamls.Length == 1) return yamls[0];
            throw new FileNotFoundException($"No data.yaml in '{path}' ({(yamls.Length == 0 ? "no YAML file" : $"{yamls.Length} YAML files; name one")}).", Path.Combine(path, "data.yaml"));
        }
        throw new FileNotFoundException($"The dataset file '{path}' does not exist.", path);
    }

    private static YamlMappingNode ReadYaml(string yamlPath)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(yamlPath);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{yamlPath}:{e.Start.Line}: not valid YAML ({e.Message}).", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{yamlPath}: expected a mapping with 'path', 'train', 'val' and 'names'.");
        return root;
    }

    private static (string Text, int Line)? Scalar(YamlMappingNode root, string key, string yamlPath)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(key), out var node)) return null;
        if (node is not YamlScalarNode scalar) throw new InvalidDataException($"{yamlPath}:{Line(node)}: '{key}' should be a single value.");
        return (scalar.Value ?? "", Line(node));
    }

    private static List<string> Names(YamlMappingNode root, string yamlPath)
    {
        int? count = null;
        if (Scalar(root, "nc", yamlPath) is { } nc)
        {
            if (!int.TryParse(nc.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
                throw new InvalidDataException($"{yamlPath}:{nc.Line}: 'nc' should be a positive number of classes, found '{nc.Text}'.");
            count = n;
        }
        if (!root.Children.TryGetValue(new YamlScalarNode("names"), out var node))
        {
            if (count is int n) return [.. Enumerable.Range(0, n).Select(i => $"class{i}")];
            throw new InvalidDataException($"{yamlPath}: no 'names' (the class names, a list or a map from index to name).");
        }
        List<string> names;
        switch (node)
        {
            case YamlSequenceNode list:
                names = [.. list.Children.Select(c => c is YamlScalarNode { Value: { } v } ? v
                    : throw new InvalidDataException($"{yamlPath}:{Line(c)}: a class name should be text."))];
                break;
            case YamlMappingNode map:
                var byIndex = new SortedDictionary<int, string>();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key } || !int.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) || index < 0)
                        throw new InvalidDataException($"{yamlPath}:{Line(k)}: class indices in 'names' should be 0, 1, 2, ...; found '{k}'.");
                    if (v is not YamlScalarNode { Value: { } name }) throw new InvalidDataException($"{yamlPath}:{Line(v)}: the name of class {index} should be text.");
                    if (!byIndex.TryAdd(index, name)) throw new InvalidDataException($"{yamlPath}:{Line(k)}: class {index} is named twice.");
                }
                if (byIndex.Count > 0 && byIndex.Keys.Last() != byIndex.Count - 1)
                    throw new InvalidDataException($"{yamlPath}:{Line(node)}: class indices in 'names' should run 0..{byIndex.Count - 1} without gaps.");
                names = [.. byIndex.Values];
                break;
            default:
                throw new InvalidDataException($"{yamlPath}:{Line(node)}: 'names' should be a list or a map from index to name.");
        }
        if (names.Count == 0) throw new InvalidDataException($"{yamlPath}:{Line(node)}: 'names' is empty.");
        if (count is int expected && expected != names.Count)
            throw new InvalidDataException($"{yamlPath}:{Line(node)}: 'nc' says {expected} classes but 'names' has {names.Count}.");
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{yamlPath}:{Line(node)}: the class name '{twice.Key}' appears twice.");
        return names;
    }

    private static IEnumerable<(string Item, int Line)> Items(YamlNode entry, string yamlPath, string split)
    {
        switch (entry)
        {
            case YamlScalarNode { Value: { } v }:
                yield return (v, Line(entry));
                break;
            case YamlSequenceNode list:
                foreach (var c in list.Children)
                    yield return c is YamlScalarNode { Value: { } s } ? (s, Line(c)) : throw new InvalidDataException($"{yamlPath}:{Line(c)}: '{split}' items should be paths.");
                break;
            default:
                throw new InvalidDataException($"{yamlPath}:{Line(entry)}: '{split}' should be a folder, a text file listing images, or a list of them.");
        }
    }

    private static IEnumerable<string> ImagesOf(string item, int line, string datasetRoot, string yamlPath)
    {
        string full = Path.GetFullPath(Path.IsPathRooted(item) ? item : Path.Combine(datasetRoot, item));
        if (Directory.Exists(full))
            return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Where(f => ImageExtensions.Contains(Path.GetExtension(f)));
        if (File.Exists(full) && ImageExtensions.Contains(Path.GetExtension(full))) return [full];
        if (File.Exists(full)) return Listed(full);
        throw new InvalidDataException($"{yamlPath}:{line}: '{item}' is not a folder or file under '{datasetRoot}' ('{full}' does not exist).");
    }

    /// <summary>The images a text file lists, one per line, relative paths from the file's folder.</summary>
    private static List<string> Listed(string listFile)
    {
        string folder = Path.GetDirectoryName(listFile)!;
        var images = new List<string>();
        int number = 0;
        foreach (string raw in File.ReadLines(listFile))
        {
            number++;
            string text = raw.Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            string image = Path.GetFullPath(Path.IsPathRooted(text) ? text : Path.Combine(folder, text));
            if (!File.Exists(image)) throw new InvalidDataException($"{listFile}:{number}: the image '{text}' does not exist ('{image}').");
            images.Add(image);
        }
        return images;
    }

    /// <summary>The label file of an image: the last <c>images</c> folder of its path replaced by <c>labels</c>, extension <c>.txt</c>.</summary>
    internal static string LabelPathOf(string image)
    {
        char s = Path.DirectorySeparatorChar;
        string marker = $"{s}images{s}";
        int at = image.LastIndexOf(marker, StringComparison.Ordinal);
        string swapped = at < 0 ? image : string.Concat(image.AsSpan(0, at), $"{s}labels{s}", image.AsSpan(at + marker.Length));
        return Path.ChangeExtension(swapped, ".txt");
    }

    private static DetectionDatasetRow ReadLabels(string image, int classes)
    {
        var (width, height) = ImageHeader.Size(image);
        string labelPath = LabelPathOf(image);
        var row = new DetectionDatasetRow { ImagePath = image };
        if (!File.Exists(labelPath)) return row; // a negative: nothing to find in this image
        var keys = new List<uint>();
        var boxes = new List<float>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in File.ReadLines(labelPath))
        {
            number++;
            string text = raw.Trim();
            if (text.Length == 0) continue;
            string where = $"{labelPath}:{number}";
            var fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 5 && (fields.Length < 7 || fields.Length % 2 == 0))
                throw new InvalidDataException($"{where}: {fields.Length} values; expected 5 (class cx cy w h, normalised to 0..1) or a polygon (class x1 y1 x2 y2 x3 y3 ...).");
            var values = new double[fields.Length];
            for (int i = 0; i < fields.Length; i++)
                if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                    throw new InvalidDataException($"{where}: value {i + 1} ('{fields[i]}') is not a number.");
            if (values[0] != Math.Floor(values[0]) || values[0] < 0 || values[0] >= classes)
                throw new InvalidDataException($"{where}: class '{fields[0]}' is not one of the {classes} classes of the dataset (0..{classes - 1}).");
            for (int i = 1; i < values.Length; i++)
                if (values[i] < 0 || values[i] > 1)
                    throw new InvalidDataException($"{where}: value {i + 1} ({fields[i]}) is outside 0..1; coordinates are fractions of the image's width and height.");
            double x0, y0, x1, y1;
            if (fields.Length == 5)
            {
                if (values[3] <= 0 || values[4] <= 0) throw new InvalidDataException($"{where}: the box has no area (width {fields[3]}, height {fields[4]}).");
                (x0, y0, x1, y1) = (values[1] - values[3] / 2, values[2] - values[4] / 2, values[1] + values[3] / 2, values[2] + values[4] / 2);
            }
            else
            {
                var xs = values.Skip(1).Where((_, i) => i % 2 == 0).ToArray();
                var ys = values.Skip(1).Where((_, i) => i % 2 == 1).ToArray();
                (x0, y0, x1, y1) = (xs.Min(), ys.Min(), xs.Max(), ys.Max());
                if (x1 <= x0 || y1 <= y0) throw new InvalidDataException($"{where}: the polygon has no area.");
            }
            if (!seen.Add(string.Join(' ', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))) continue; // a repeated line: one object
            keys.Add((uint)values[0] + 1);
            boxes.AddRange([(float)(Math.Clamp(x0, 0, 1) * width), (float)(Math.Clamp(y0, 0, 1) * height),
                (float)(Math.Clamp(x1, 0, 1) * width), (float)(Math.Clamp(y1, 0, 1) * height)]);
        }
        row.Label = [.. keys];
        row.BoundingBoxes = [.. boxes];
        return row;
    }

    private static int Line(YamlNode node) => (int)node.Start.Line;
}
