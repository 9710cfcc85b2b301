using System.ComponentModel;
using System.Diagnostics;
using MLNet.CSP.Pipelines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.CSP.Examples.Commands;

/// <summary>
/// Exports the CSP step of a saved model zip to ONNX, then classifies the test images twice: with the TorchSharp model and with
/// <c>LoadImages -> ResizeImages -> ExtractPixels -> ApplyOnnxModel</c> on the exported file, and compares the two.
/// </summary>
public sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <ZIP>")]
        [Description("A model zip written by train (or featurize, whose featurizer is exported).")]
        [DefaultValue("output/model.zip")]
        public string Model { get; set; } = "output/model.zip";

        [CommandOption("--out <FILE>")]
        [Description("The ONNX file to write.")]
        [DefaultValue("output/model.onnx")]
        public string Output { get; set; } = "output/model.onnx";

        [CommandOption("--test <DIR>")]
        [Description("Images to compare on, one sub-folder per class (default: the embedded subset's test/).")]
        public string? Test { get; set; }

        [CommandOption("--opset <N>")]
        [DefaultValue(17)]
        public int Opset { get; set; } = 17;

        public override ValidationResult Validate() =>
            File.Exists(Model) ? ValidationResult.Success() : ValidationResult.Error($"Model '{Model}' does not exist (run train first).");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ml = new MLContext();
        var model = ml.Model.Load(settings.Model, out _);
        var csp = Steps(model).OfType<CspImageTransformer>().FirstOrDefault();
        if (csp is null)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(settings.Model)} has no MLNet.CSP step to export.[/]");
            return 1;
        }
        var info = csp.ExportOnnx(settings.Output, new Export.Onnx.OnnxExportOptions { Opset = settings.Opset });
        AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(settings.Output)}[/] ({new FileInfo(settings.Output).Length / 1e6:F1} MB): {csp.Architecture}, " +
            $"input '{info.InputName}' [[{string.Join(", ", info.InputShape)}]] (planar RGB 0..255), output '{info.OutputName}' [[{string.Join(", ", info.OutputShape)}]], opset {info.Opset}.");

        var files = ImageFolder.Load(settings.Test ?? Path.Combine(ImageFolder.DefaultRoot, "test"), null);
        var images = Datasets.Images(ml, files);
        var watch = Stopwatch.StartNew();
        var ours = Rows(csp.Transform(images), csp is Pipelines.Classification.CspImageClassificationTransformer ? "Score" : ((Pipelines.Featurizer.CspFeaturizerTransformer)csp).OutputColumnName);
        double torchSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var onnx = info.CreateImagePipeline(ml, csp.ImageColumnName)
            .Append(ml.Transforms.ApplyOnnxModel([info.OutputName], [info.InputName], settings.Output))
            .Fit(images).Transform(images);
        var theirs = Rows(onnx, info.OutputName);
        double onnxSeconds = watch.Elapsed.TotalSeconds;

        int same = Enumerable.Range(0, ours.Length).Count(i => ArgMax(ours[i]) == ArgMax(theirs[i]));
        double worst = Enumerable.Range(0, ours.Length).Max(i => ours[i].Zip(theirs[i], (a, b) => Math.Abs(a - b)).Max());
        var table = new Table().AddColumn("").AddColumn("TorchSharp (CspImageTransformer)").AddColumn("ONNX Runtime (ApplyOnnxModel)");
        table.AddRow("images", ours.Length.ToString(), theirs.Length.ToString());
        table.AddRow("seconds (this machine, whole set)", $"{torchSeconds:F2}", $"{onnxSeconds:F2}");
        AnsiConsole.Write(table);
        string what = info.OutputName == "probabilities" ? "top-1" : "arg-max feature";
        AnsiConsole.MarkupLine($"Same {what} on {same} of {ours.Length} images; largest difference of a value {worst:E2}.");
        if (info.Labels is { Count: > 0 } labels) AnsiConsole.MarkupLine($"Class labels (in the file's metadata 'mlnet_csp.labels'): {Markup.Escape(string.Join(", ", labels))}");
        if (same < ours.Length)
            AnsiConsole.MarkupLine($"[yellow]The differences come from resizing:[/] ML.NET's ResizeImages (SkiaSharp) resamples unlike the library's PIL-style resize. " +
                $"Images already {info.InputShape[2]}x{info.InputShape[3]} (or trained at their own size) give identical predictions.");
        return 0;
    }

    /// <summary>The transformers of a loaded model, chains unrolled.</summary>
    private static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];

    private static float[][] Rows(IDataView data, string column) =>
        data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());
}
