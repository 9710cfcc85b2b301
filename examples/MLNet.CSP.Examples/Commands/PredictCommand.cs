using MLNet.CSP.Pipelines.Training;
using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML;
using Spectre.Console.Cli;
using Spectre.Console;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Classify images with a saved model zip (from train or featurize).</summary>
public sealed class PredictCommand : Command<PredictCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <ZIP>")]
        [DefaultValue("output/model.zip")]
        public string Model { get; set; } = "output/model.zip";

        [CommandArgument(0, "<IMAGE_OR_FOLDER>")]
        public string Input { get; set; } = "";

        [CommandOption("--top <K>")]
        [DefaultValue(3)]
        public int Top { get; set; } = 3;

        public override ValidationResult Validate() =>
            File.Exists(Model) ? (File.Exists(Input) || Directory.Exists(Input) ? ValidationResult.Success() : ValidationResult.Error($"'{Input}' is neither an image nor a folder."))
                : ValidationResult.Error($"Model '{Model}' does not exist (run train first).");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ml = new MLContext();
        var model = ml.Model.Load(settings.Model, out _);
        var files = Directory.Exists(settings.Input)
            ? Directory.GetFiles(settings.Input, "*", SearchOption.AllDirectories).Where(ImageFolder.IsImage).Order(StringComparer.Ordinal).ToList()
            : [settings.Input];
        var rows = files.Select(f => new LabelledImage { ImagePath = Path.GetFullPath(f) }).ToList();
        var scored = model.Transform(Datasets.Images(ml, rows));
        var classes = ClassNames(scored.Schema);
        var table = new Table().AddColumn("image").AddColumn($"top {settings.Top}");
        // Copy each row at once: the cursor reuses its VBuffer between rows.
        var scores = scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < rows.Count; i++)
        {
            var top = scores[i].Select((p, k) => (p, k)).OrderByDescending(t => t.p).Take(settings.Top)
                .Select(t => $"{Markup.Escape(classes[t.k])} {t.p:P1}");
            table.AddRow(Markup.Escape(Path.GetFileName(files[i])), string.Join(", ", top));
        }
        AnsiConsole.Write(table);
        return 0;
    }

    private static string[] ClassNames(DataViewSchema schema)
    {
        var column = schema["PredictedLabel"];
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }
}
