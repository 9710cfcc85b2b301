using Microsoft.ML;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Train/test image data views from the command's folders.</summary>
internal static class Datasets
{
    /// <summary>The folders' images; without a test folder, 20% of the training folder (seeded) is held out.</summary>
    public static (IDataView Train, IDataView Test, int TrainCount, int TestCount) Load(MLContext ml, ImageFolderSettings s)
    {
        var (data, testFolder, perClass, seed) = (s.Data, s.Test, s.PerClass, s.Seed);
        string trainFolder = data ?? Path.Combine(ImageFolder.DefaultRoot, "train");
        var train = ImageFolder.Load(trainFolder, perClass);
        List<LabelledImage> test;
        if (testFolder is not null || data is null)
            test = ImageFolder.Load(testFolder ?? Path.Combine(ImageFolder.DefaultRoot, "test"), perClass);
        else
        {
            var random = new Random(seed);
            var shuffled = train.OrderBy(_ => random.Next()).ToList();
            int held = Math.Max(1, train.Count / 5);
            test = shuffled.Take(held).ToList();
            train = shuffled.Skip(held).ToList();
        }
        return (Images(ml, train), Images(ml, test), train.Count, test.Count);
    }

    public static IDataView Images(MLContext ml, IEnumerable<LabelledImage> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath").Fit(data).Transform(data);
    }
}
