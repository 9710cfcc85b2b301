using System.Runtime.InteropServices;
using Microsoft.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;
using MLNet.CSP.Backend;
using MLNet.CSP.Pipelines.Classification;

// Usage: MLNet.CSP.LoadProbe <model.zip> <image-list.txt> <vector-column> <output.bin>
// Loads the model with a fresh MLContext (no MLNet.CSP call before), transforms one row per image path of the
// list (column "ImagePath", plus "Image" loaded from it, and an empty text "Label" for models that map their labels to keys
// themselves, as the AutoML search's do), and writes the vector column's values as raw floats.
// Usage: MLNet.CSP.LoadProbe page-faults
// Trains cs3darknet_s on 256 random 32x32 images, batch 64, 3 epochs, and prints the process's minor page faults per batch of
// the last epoch ("page faults per batch: N") and the backend's description (NativeHeap's tuning).
if (args is ["page-faults"]) return PageFaults.Run();
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

internal static class PageFaults
{
    public static int Run()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(1);
        var rows = Enumerable.Range(0, 256).Select(i =>
        {
            var pixels = new byte[32 * 32 * 4];
            random.NextBytes(pixels);
            return new PixelRow { Image = MLImage.CreateFromPixels(32, 32, MLPixelFormat.Rgba32, pixels), Label = (i % 4).ToString() };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var faults = new List<long>();
        int lastEpoch = 3;
        ml.MulticlassClassification.Trainers.CspImageClassification(new CspImageClassificationTrainer.Options
        {
            Architecture = "cs3darknet_s", ImageSize = 32, CropFraction = 1.0, Epochs = lastEpoch, BatchSize = 64, TorchThreads = 2,
            BatchCallback = b => { if (b.Epoch == lastEpoch) faults.Add(MinorFaults()); },
        }).Fit(data).Dispose();
        Console.WriteLine($"page faults per batch: {(faults[^1] - faults[0]) / (faults.Count - 1)}");
        Console.WriteLine(TorchBackend.Status.Describe());
        return 0;
    }

    private static long MinorFaults()
    {
        var usage = new long[18]; // struct rusage: two timevals (4 longs), then maxrss, ixrss, idrss, isrss, minflt, ...
        if (getrusage(0, usage) != 0) throw new InvalidOperationException("getrusage failed");
        return usage[8];
    }

    [DllImport("libc.so.6")]
    private static extern int getrusage(int who, long[] usage);
}

internal sealed class PixelRow
{
    [ImageType(32, 32)]
    public MLImage? Image { get; set; }

    public string Label { get; set; } = "";
}
