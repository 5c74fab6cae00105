console.log('gptj');
