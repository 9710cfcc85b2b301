using System.Text.Json;

namespace MLNet.CSP.Pipelines.Datasets;

/// <summary>
/// Reads a COCO instances file (<c>images</c>, <c>annotations</c> with <c>bbox</c> = x, y, width, height in pixels,
/// <c>categories</c>): category ids map to keys in id order, named by the categories' names; crowd annotations
/// (<c>iscrowd</c> = 1) are left out, as COCO's training recipes do; an image without annotations is a negative. A bad entry
/// fails naming the file, the array element and its id.
/// </summary>
internal static class CocoDetectionReader
{
    /// <summary>How far (pixels) a box may reach outside its image before it is an error (the trainer's own rule); it is clipped.</summary>
    private const double EdgeTolerance = Detection.DetectionLayout.EdgeTolerance;

    public static DetectionDataset Read(string annotationsPath, string imageFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotationsPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(imageFolder);
        if (!File.Exists(annotationsPath)) throw new FileNotFoundException($"The annotations file '{annotationsPath}' does not exist.", annotationsPath);
        if (!Directory.Exists(imageFolder)) throw new DirectoryNotFoundException($"The image folder '{imageFolder}' does not exist.");
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(annotationsPath);
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{annotationsPath}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message}).", e);
        }
        using (document)
        {
            var root = document.RootElement;
            string file = annotationsPath;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file}: expected an object with 'images', 'annotations' and 'categories'.");

            // Categories: keys in id order.
            var categories = Array(root, "categories", file);
            var categoryIds = new SortedDictionary<long, string>();
            for (int i = 0; i < categories.Count; i++)
            {
                string where = $"{file}: categories[{i}]";
                long id = Id(categories[i], where);
                string name = Text(categories[i], "name", where);
                if (!categoryIds.TryAdd(id, name)) throw new InvalidDataException($"{where}: the category id {id} appears twice.");
            }
            if (categoryIds.Count == 0) throw new InvalidDataException($"{file}: 'categories' is empty.");
            if (categoryIds.Values.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new InvalidDataException($"{file}: the category name '{twice.Key}' belongs to more than one id.");
            var keyOf = categoryIds.Keys.Select((id, k) => (id, k)).ToDictionary(p => p.id, p => (uint)p.k + 1);

            // Images.
            var images = Array(root, "images", file);
            var byId = new Dictionary<long, (DetectionDatasetRow Row, int Width, int Height, List<uint> Keys, List<float> Boxes)>();
            for (int i = 0; i < images.Count; i++)
            {
                string where = $"{file}: images[{i}]";
                long id = Id(images[i], where);
                string name = Text(images[i], "file_name", where);
                string path = Path.GetFullPath(Path.Combine(imageFolder, name));
                if (!File.Exists(path)) throw new InvalidDataException($"{where} (id {id}): the image '{name}' is not in '{imageFolder}'.");
                int width = OptionalInt(images[i], "width", where), height = OptionalInt(images[i], "height", where);
                if (width <= 0 || height <= 0) (width, height) = ImageHeader.Size(path);
                if (byId.ContainsKey(id)) throw new InvalidDataException($"{where}: the image id {id} appears twice.");
                byId[id] = (new DetectionDatasetRow { ImagePath = path }, width, height, [], []);
            }
            if (byId.Count == 0) throw new InvalidDataException($"{file}: 'images' is empty.");

            // Annotations.
            var annotations = Array(root, "annotations", file);
            var annotationIds = new HashSet<long>();
            for (int i = 0; i < annotations.Count; i++)
            {
                var a = annotations[i];
                string where = $"{file}: annotations[{i}]";
                long id = Id(a, where);
                where += $" (id {id})";
                if (!annotationIds.Add(id)) throw new InvalidDataException($"{where}: the annotation id {id} appears twice.");
                if (a.TryGetProperty("iscrowd", out var crowd) && crowd.ValueKind == JsonValueKind.Number && crowd.GetInt32() == 1) continue;
                long imageId = Long(a, "image_id", where), categoryId = Long(a, "category_id", where);
                if (!byId.TryGetValue(imageId, out var image)) throw new InvalidDataException($"{where}: image_id {imageId} is not in 'images'.");
                if (!keyOf.TryGetValue(categoryId, out uint key)) throw new InvalidDataException($"{where}: category_id {categoryId} is not in 'categories'.");
                if (!a.TryGetProperty("bbox", out var bbox) || bbox.ValueKind != JsonValueKind.Array || bbox.GetArrayLength() != 4
                    || bbox.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
                    throw new InvalidDataException($"{where}: 'bbox' should be 4 numbers: x, y, width, height in pixels.");
                var v = bbox.EnumerateArray().Select(e => e.GetDouble()).ToArray();
                if (v[2] <= 0 || v[3] <= 0) throw new InvalidDataException($"{where}: the box has no area (width {v[2]}, height {v[3]}).");
                if (v[0] < -EdgeTolerance || v[1] < -EdgeTolerance || v[0] + v[2] > image.Width + EdgeTolerance || v[1] + v[3] > image.Height + EdgeTolerance)
                    throw new InvalidDataException($"{where}: the box [{v[0]}, {v[1]}, {v[2]}, {v[3]}] reaches outside its {image.Width}x{image.Height} image.");
                image.Keys.Add(key);
                image.Boxes.AddRange([(float)Math.Max(0, v[0]), (float)Math.Max(0, v[1]),
                    (float)Math.Min(image.Width, v[0] + v[2]), (float)Math.Min(image.Height, v[1] + v[3])]);
            }

            var rows = byId.Values.OrderBy(i => i.Row.ImagePath, StringComparer.Ordinal).Select(i =>
            {
                i.Row.Label = [.. i.Keys];
                i.Row.BoundingBoxes = [.. i.Boxes];
                return i.Row;
            }).ToList();
            return new DetectionDataset(rows, [.. categoryIds.Values], annotationsPath);
        }
    }

    private static List<JsonElement> Array(JsonElement root, string name, string file) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray()]
            : throw new InvalidDataException($"{file}: no '{name}' array.");

    private static long Id(JsonElement element, string where) => Long(element, "id", where);

    private static long Long(JsonElement element, string name, string where) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n)
            ? n
            : throw new InvalidDataException($"{where}: '{name}' should be a whole number.");

    private static int OptionalInt(JsonElement element, string name, string where)
    {
        if (!element.TryGetProperty(name, out var v)) return 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : throw new InvalidDataException($"{where}: '{name}' should be a whole number.");
    }

    private static string Text(JsonElement element, string name, string where) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidDataException($"{where}: '{name}' should be non-empty text.");
}
