using Microsoft.ML.Data;
using Microsoft.ML;

// Usage: MLNet.CSP.LoadProbe <model.zip> <image-list.txt> <vector-column> <output.bin>
// Loads the model with a fresh MLContext (no MLNet.CSP call before), transforms one row per image path of the
// list (column "ImagePath", plus "Image" loaded from it, and an empty text "Label" for models that map their labels to keys
// themselves, as the AutoML search's do), and writes the vector column's values as raw floats.
if (args.Length != 4)
{
    Console.Error.WriteLine("Usage: MLNet.CSP.LoadProbe <model.zip> <image-list.txt> <vector-column> <output.bin>");
    return 2;
}
var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out var inputSchema);
var rows = File.ReadAllLines(args[1]).Where(l => l.Length > 0).Select(p => new ImageRow { ImagePath = p }).ToList();
var data = ml.Data.LoadFromEnumerable(rows);
var withImages = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath").Fit(data).Transform(data);
var output = model.Transform(withImages);
using var writer = new BinaryWriter(File.Create(args[3]));
foreach (var vector in output.GetColumn<VBuffer<float>>(args[2]))
    foreach (var v in vector.DenseValues()) writer.Write(v);
Console.WriteLine($"Loaded {args[0]} and wrote {rows.Count} rows of '{args[2]}'.");
return 0;

internal sealed class ImageRow
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}
