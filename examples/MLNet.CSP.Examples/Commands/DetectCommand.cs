using System.ComponentModel;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.CSP.Detection;
using MLNet.CSP.Examples.Detection;
using MLNet.CSP.Pipelines.Detection;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Generate a garment detection set, train CspObjectDetection on it, report COCO metrics and draw boxes.</summary>
public sealed class DetectCommand : Command<DetectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--arch <NAME>")]
        [DefaultValue("cs3darknet_s")]
        public string Architecture { get; set; } = "cs3darknet_s";

        [CommandOption("--neck <KIND>")]
        [Description("Efm (the paper's Exact Fusion Model), PanetSpp or Fpn.")]
        [DefaultValue(NeckKind.Efm)]
        public NeckKind Neck { get; set; } = NeckKind.Efm;

        [CommandOption("--train <N>")]
        [DefaultValue(600)]
        public int TrainCount { get; set; } = 600;

        [CommandOption("--test <N>")]
        [DefaultValue(200)]
        public int TestCount { get; set; } = 200;

        [CommandOption("--image-size <PIXELS>")]
        [Description("Generated canvas and network input side (a multiple of 32).")]
        [DefaultValue(256)]
        public int ImageSize { get; set; } = 256;

        [CommandOption("--epochs <N>")]
        [DefaultValue(30)]
        public int Epochs { get; set; } = 30;

        [CommandOption("--budget-minutes <M>")]
        [Description("Stop training after this long (the model trained so far is kept).")]
        [DefaultValue(15.0)]
        public double BudgetMinutes { get; set; } = 15;

        [CommandOption("--pretrained")]
        [Description("Start the backbone from its published ImageNet weights (downloaded once).")]
        public bool Pretrained { get; set; }

        [CommandOption("--model <ZIP>")]
        [Description("Evaluate and draw with a saved detector instead of training one (the same --seed gives the same test scenes).")]
        public string? Model { get; set; }

        [CommandOption("--export-yolo <DIR>")]
        [Description("Write the generated scenes as a YOLO dataset (data.yaml, images/, labels/; test scenes as 'val') and stop.")]
        public string? ExportYolo { get; set; }

        [CommandOption("--out <DIR>")]
        [DefaultValue("output/detect")]
        public string Output { get; set; } = "output/detect";

        [CommandOption("--seed <N>")]
        [DefaultValue(1)]
        public int Seed { get; set; } = 1;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: settings.Seed);
        Directory.CreateDirectory(settings.Output);
        var trainRows = GarmentScenes.Write(Path.Combine(settings.Output, "train"), settings.TrainCount, settings.ImageSize, settings.Seed);
        var testRows = GarmentScenes.Write(Path.Combine(settings.Output, "test"), settings.TestCount, settings.ImageSize, settings.Seed + 1000);
        AnsiConsole.MarkupLine($"Generated {trainRows.Count} training and {testRows.Count} test scenes ({trainRows.Sum(r => r.Label.Length)} and " +
            $"{testRows.Sum(r => r.Label.Length)} garments of {GarmentScenes.Classes.Length} classes) in [grey]{Markup.Escape(settings.Output)}[/].");

        if (settings.ExportYolo is { } yolo)
        {
            GarmentScenes.WriteYolo(yolo, "train", trainRows, settings.ImageSize);
            GarmentScenes.WriteYolo(yolo, "val", testRows, settings.ImageSize);
            AnsiConsole.MarkupLine($"Wrote the YOLO dataset [grey]{Markup.Escape(Path.Combine(yolo, "data.yaml"))}[/] (ml.Data.LoadFromYoloDataset reads it).");
            return 0;
        }

        var classes = ml.Data.LoadFromEnumerable(GarmentScenes.Classes.Select(c => new { Label = c }));
        var train = ml.Data.LoadFromEnumerable(trainRows);
        var prepare = ml.Transforms.Conversion.MapValueToKey("Label", keyData: classes)
            .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")).Fit(train);
        ITransformer detector;
        double seconds = 0;
        if (settings.Model is not null)
        {
            detector = ml.Model.Load(settings.Model, out _);
            AnsiConsole.MarkupLine($"Loaded [grey]{Markup.Escape(settings.Model)}[/].");
        }
        else
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(TimeSpan.FromMinutes(settings.BudgetMinutes));
            var options = new CspObjectDetectionTrainer.Options
            {
                Architecture = settings.Architecture,
                Neck = settings.Neck,
                ImageSize = settings.ImageSize,
                Epochs = settings.Epochs,
                Pretrained = settings.Pretrained,
                ScoreThreshold = 0.01f, // COCO's mAP ranks every detection; the pictures below show those above 0.3
                CancellationToken = budget.Token,
                MetricsCallback = m => AnsiConsole.MarkupLine(Markup.Escape(m.ToString())),
            };
            AnsiConsole.MarkupLine($"Training [bold]{settings.Architecture}[/] + {settings.Neck} at {settings.ImageSize}x{settings.ImageSize} for up to {settings.Epochs} epochs or {settings.BudgetMinutes} minutes.");
            var watch = Stopwatch.StartNew();
            detector = prepare.Append(ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(prepare.Transform(train)));
            seconds = watch.Elapsed.TotalSeconds;
        }
        using var owned = detector as IDisposable;

        var test = ml.Data.LoadFromEnumerable(testRows);
        var timer = Stopwatch.StartNew();
        var scored = ml.Data.Cache(detector.Transform(test));
        var metrics = ml.MulticlassClassification.EvaluateCspObjectDetection(scored);
        double inference = timer.Elapsed.TotalSeconds;
        var network = ((IEnumerable<ITransformer>)detector).OfType<CspObjectDetectionTransformer>().Single().Detector;
        long neckParameters = network.named_parameters().Where(p => p.name.StartsWith("neck.", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        AnsiConsole.WriteLine(metrics.ToString());
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("mAP50 / mAP@[[.5:.95]]", $"{metrics.AveragePrecision50:0.000} / {metrics.MeanAveragePrecision:0.000}");
        foreach (var (k, ap) in metrics.PerClassAveragePrecision.OrderBy(p => p.Key)) table.AddRow($"AP {GarmentScenes.Classes[k]}", $"{ap:0.000}");
        if (seconds > 0) table.AddRow("training", $"{seconds:0} s");
        table.AddRow("test images/s (decode, letterbox, detect)", $"{testRows.Count / inference:0.0}");
        table.AddRow("neck parameters", $"{neckParameters / 1e6:0.000} M");
        table.AddRow("peak memory (process)", $"{Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024 * 1024):0.00} GiB");
        AnsiConsole.Write(table);

        string previews = Path.Combine(settings.Output, "previews");
        Directory.CreateDirectory(previews);
        // Copy each row's values as it is read: the cursor reuses its buffers.
        var labels = scored.GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).Take(8).ToList();
        var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).Take(8).ToList();
        var boxes = scored.GetColumn<VBuffer<float>>("PredictedBoundingBoxes").Select(v => v.DenseValues().ToArray()).Take(8).ToList();
        for (int i = 0; i < labels.Count; i++)
            Draw(testRows[i], labels[i], scores[i], boxes[i], Path.Combine(previews, Path.GetFileName(testRows[i].ImagePath)));
        string model = settings.Model ?? Path.Combine(settings.Output, "detector.zip");
        if (settings.Model is null) ml.Model.Save(detector, train.Schema, model);
        AnsiConsole.MarkupLine($"Pictures (green: truth, red: detections above 0.3) in [grey]{Markup.Escape(previews)}[/]; model: [grey]{Markup.Escape(model)}[/].");
        return 0;
    }

    private static void Draw(DetectionRow row, uint[] labels, float[] scores, float[] boxes, string path)
    {
        using var bitmap = SKBitmap.Decode(row.ImagePath);
        using var canvas = new SKCanvas(bitmap);
        using var truth = new SKPaint { Color = SKColors.LimeGreen, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        using var found = new SKPaint { Color = SKColors.Red, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        using var text = new SKPaint { Color = SKColors.Red, IsAntialias = true };
        using var font = new SKFont { Size = 9 };
        for (int i = 0; i < row.Label.Length; i++)
            canvas.DrawRect(SKRect.Create(row.BoundingBoxes[4 * i], row.BoundingBoxes[4 * i + 1], row.BoundingBoxes[4 * i + 2] - row.BoundingBoxes[4 * i], row.BoundingBoxes[4 * i + 3] - row.BoundingBoxes[4 * i + 1]), truth);
        for (int i = 0; i < labels.Length && scores[i] >= 0.3f; i++)
        {
            var rect = new SKRect(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
            canvas.DrawRect(rect, found);
            canvas.DrawText($"{GarmentScenes.Classes[labels[i] - 1]} {scores[i]:0.00}", rect.Left, Math.Max(9, rect.Top - 1), font, text);
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
